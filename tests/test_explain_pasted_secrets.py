"""Secrets pasted into ``explain`` are hidden in every common form (issue: 21 of 42 leaked).

Each row of the table is one way a secret access key or session token reaches a pasted
text: env (POSIX, PowerShell, cmd, fish), INI, YAML (with folded and literal blocks),
JSON, XML, CLI flags, Java properties, HTTP headers, query strings, Redshift, Terraform,
.NET config, and bare. The values are damaged the ways the issue found leaking: 39 and
41 characters, a space or a zero-width character inside, a lower-case value after
``--secret-access-key``, a folded YAML token, a bare token.

Each row goes through ``keydoctor explain`` (the CLI's ``main``, text and JSON), once on a
line of its own above the error and once on the error's own line (where the "seen in"
excerpt quotes it). The output may hold no 4-character piece of the secret, except the
pieces that the text around it (or explain's own wording) holds anyway.
"""

from __future__ import annotations

import json

import pytest

from keydoctor.cli import main

ERROR = (
    "An error occurred (SignatureDoesNotMatch) when calling the GetObject operation: The "
    "request signature we calculated does not match the signature you provided."
)
S = "U8JZpDE0/iGXlD6gNCFbaEP+FjbD0kH8Oool8Dkl"  # 40 characters
S39 = S[:39]
S41 = S + "Q"
S_SPACE = S[:17] + " " + S[17:]
S_ZW = S[:11] + "\u200b" + S[11:]
S_NBSP = S[:25] + "\u00a0" + S[25:]
S_LOWER = S.lower()
T = (
    "IQoJb3JpZ2luX2Vjdl7dXTPyLsxPFkThf4VucSmEHgaKwVJ7faC9qEwjky40"
    "UVsWmflzdE1F8ResqEDusTpkr0cStY4qWB8dWKnHfDNxSIvPZZ63fFKc"
)
T_URL = T.replace("/", "%2F").replace("+", "%2B")
T_SPACE = T[:70] + " " + T[70:]
KEY = "ASIAZ7LEAKCHECKTMP03"

# (name, pasted text, the secret it holds)
FORMS: list[tuple[str, str, str]] = [
    ("env", f"AWS_SECRET_ACCESS_KEY={S}", S),
    ("env export double-quoted", f'export AWS_SECRET_ACCESS_KEY="{S}"', S),
    ("env export single-quoted", f"export AWS_SECRET_ACCESS_KEY='{S}'", S),
    ("env token", f"AWS_SESSION_TOKEN={T}", T),
    ("env PowerShell", f'$env:AWS_SECRET_ACCESS_KEY="{S}"', S),
    ("env cmd", f"set AWS_SECRET_ACCESS_KEY={S}", S),
    ("env fish", f"set -x AWS_SECRET_ACCESS_KEY {S}", S),
    ("env 39 characters", f"AWS_SECRET_ACCESS_KEY={S39}", S39),
    ("env 41 characters", f"AWS_SECRET_ACCESS_KEY={S41}", S41),
    ("env space inside", f"AWS_SECRET_ACCESS_KEY={S_SPACE}", S_SPACE),
    ("env zero-width inside", f"AWS_SECRET_ACCESS_KEY={S_ZW}", S_ZW),
    ("env no-break space inside", f"AWS_SECRET_ACCESS_KEY={S_NBSP}", S_NBSP),
    ("ini", f"aws_secret_access_key = {S}", S),
    ("ini no blanks", f"aws_secret_access_key={S}", S),
    ("ini token", f"aws_session_token = {T}", T),
    ("ini space inside", f"aws_secret_access_key = {S_SPACE}", S_SPACE),
    ("ini lower-case", f"aws_secret_access_key = {S_LOWER}", S_LOWER),
    ("ini quoted", f'aws_secret_access_key = "{S}"', S),
    ("ini legacy security token", f"aws_security_token = {T}", T),
    ("yaml", f"aws_secret_access_key: {S}", S),
    ("yaml quoted, indented", f'  SecretAccessKey: "{S}"', S),
    ("yaml folded token", f"aws_session_token: >-\n  {T[:60]}\n  {T[60:]}\nregion: eu-west-1", T),
    ("yaml literal token", f"SessionToken: |\n    {T}\nregion: eu-west-1", T),
    ("yaml secret_key", f"secret_key: '{S41}'", S41),
    (
        "json sts answer",
        f'{{"AccessKeyId": "{KEY}", "SecretAccessKey": "{S}", "SessionToken": "{T}"}}',
        S + T,
    ),
    ("json compact", f'{{"aws_secret_access_key":"{S}"}}', S),
    ("json zero-width", f'{{"Credentials": {{"SecretAccessKey" : "{S_ZW}"}}}}', S_ZW),
    ("json token with space", f'{{"SessionToken": "{T_SPACE}"}}', T_SPACE),
    ("cli configure set", f"aws configure set aws_secret_access_key {S}", S),
    ("cli flag", f"aws sts get-caller-identity --secret-access-key {S}", S),
    ("cli flag lower-case", f"tool --secret-access-key {S_LOWER} --region eu-west-1", S_LOWER),
    ("cli flag equals", f"tool --secret-access-key={S39}", S39),
    ("cli session token", f"aws s3 ls --session-token {T}", T),
    ("cli aws- flag", f"tool --aws-secret-access-key {S_SPACE}", S_SPACE),
    ("java properties", f"aws.secretKey={S}", S),
    ("java properties spaced", f"aws.secretAccessKey = {S41}", S41),
    ("hadoop s3a secret", f"fs.s3a.secret.key={S}", S),
    ("hadoop s3a token", f"fs.s3a.session.token={T}", T),
    ("java system property", f"java -Daws.secretKey={S} -jar app.jar", S),
    ("http header", f"X-Amz-Security-Token: {T}", T),
    ("http header lower-case", f"x-amz-security-token:{T}", T),
    (
        "query string",
        f"https://b.s3.amazonaws.com/k?X-Amz-Security-Token={T_URL}&X-Amz-Date=20240101T000000Z",
        T_URL,
    ),
    (
        "redshift credentials",
        f"CREDENTIALS 'aws_access_key_id={KEY};aws_secret_access_key={S};token={T}'",
        S + T,
    ),
    ("redshift keywords", f"SECRET_ACCESS_KEY '{S39}' SESSION_TOKEN '{T}'", S39 + T),
    (
        "xml sts answer",
        f"<SecretAccessKey>{S}</SecretAccessKey><SessionToken>{T}</SessionToken>",
        S + T,
    ),
    ("terraform", f'secret_key = "{S}"', S),
    ("terraform token", f'token      = "{T}"', T),
    (".net config", f'<add key="AWSSecretKey" value="{S}"/>', S),
    ("token in words", f"my session token is {T}", T),
    ("bare token", T, T),
    ("bare secret", S, S),
    ("password", f"password: {S_LOWER}", S_LOWER),
]


def pieces(value: str, size: int = 4) -> set[str]:
    return {value[i : i + size] for i in range(len(value) - size + 1)}


def explain(text: str, fmt: str, capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["explain", "--format", fmt, text])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err
    assert "Traceback" not in captured.err
    return captured.out + captured.err


@pytest.fixture(scope="module")
def wording() -> str:
    """explain's own output for the error alone: its prose may share a piece by chance."""
    from keydoctor.catalog.matcher import diagnose
    from keydoctor.reporters.explain import ExplainTextFormatter

    explanation = diagnose(ERROR)
    return ExplainTextFormatter(show_all=True).format(explanation) + json.dumps(
        explanation.to_dict()
    )


def test_the_table_covers_the_reported_forms() -> None:
    assert len(FORMS) >= 40
    assert len({name for name, _, _ in FORMS}) == len(FORMS)


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("placement", ["own line", "error's line"])
@pytest.mark.parametrize(("name", "pasted", "secret"), FORMS, ids=[n for n, _, _ in FORMS])
def test_pasted_secret_is_hidden(
    name: str,
    pasted: str,
    secret: str,
    placement: str,
    fmt: str,
    wording: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = f"{pasted}\n{ERROR}" if placement == "own line" else f"{pasted} {ERROR}"
    out = explain(text, fmt, capsys)
    assert "SignatureDoesNotMatch" in out
    visible = secret.replace("\u200b", "").replace("\u00a0", " ")
    around = pasted.replace(secret, " ") + ERROR + wording
    expected = set()
    for value in {secret, visible, *visible.split(" ")}:
        expected |= pieces(value)
    leaked = sorted(p for p in expected - pieces(around) if p in out)
    assert not leaked, f"{name}: pieces of the secret printed: {leaked}"
    if fmt == "text":
        assert "WARNING" in out and "rotate" in out, "the paste must be flagged for rotation"
