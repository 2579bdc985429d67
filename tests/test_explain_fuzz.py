"""Fuzzers for ``explain``'s input: no traceback on any text, no piece of a labelled secret
in any output.

They run in CI with a fixed budget and no randomness from run to run
(``derandomize=True``: the examples come from a seed derived from the test itself, so a
failure reproduces on every machine; ``max_examples`` bounds the time).
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keydoctor.catalog.matcher import diagnose
from keydoctor.reporters.explain import ExplainTextFormatter

FUZZ = settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ERRORS = (
    "An error occurred (InvalidAccessKeyId) when calling the ListBuckets operation: gone",
    "botocore.exceptions.ClientError: An error occurred (ExpiredToken) when calling the "
    "GetObject operation: The provided token has expired.",
    "com.amazonaws.services.s3.model.AmazonS3Exception: The request signature we calculated "
    "does not match the signature you provided. (Service: Amazon S3; Status Code: 403; "
    "Error Code: SignatureDoesNotMatch; Request ID: 4442587FB7D0A2F9)",
    '{"__type":"UnrecognizedClientException","message":"The security token included in '
    'the request is invalid."}',
)
# Pieces hostile to the readers: blank runs, labels without values, brackets, quotes,
# invisible characters, prompts, URLs, half key ids.
NOISE = st.lists(
    st.sampled_from(
        [
            " ",
            "\t",
            "\n",
            "\r\n",
            "\n" * 50,
            " " * 300,
            "[",
            "{",
            '"',
            "'",
            "\\",
            "\u200b",
            "\u00a0",
            "\ufeff",
            "$ aws ",
            "token=",
            "secret: ",
            "--session-token ",
            "X-Amz-Security-Token=",
            "aws_secret_access_key = ",
            ">-\n  ",
            "https://u:p@h/x?token=",
            "AKIA",
            "error ",
            "\x00",
            "\x1b[31m",
        ]
    )
    | st.text(max_size=40),
    max_size=30,
).map("".join)

BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+"
SECRETS = st.text(alphabet=BASE64, min_size=12, max_size=60).filter(
    lambda value: len(set(value)) >= 8
)
DAMAGE = st.sampled_from(["", "\u200b", "\u00a0", " ", "\ufeff", "\u2060"])
FORMS = st.sampled_from(
    [
        "AWS_SECRET_ACCESS_KEY={}",
        'export AWS_SECRET_ACCESS_KEY="{}"',
        "aws_secret_access_key = {}",
        "aws_session_token: {}",
        '{{"SecretAccessKey": "{}"}}',
        "--secret-access-key {} ",
        "--session-token {}",
        "aws.secretKey={}",
        "fs.s3a.secret.key={}",
        "X-Amz-Security-Token: {}",
        "?X-Amz-Security-Token={}&X-Amz-Date=1",
        "CREDENTIALS 'aws_access_key_id=AKIAZ7LEAKCHECKKEY01;aws_secret_access_key={};token=x'",
        "<SecretAccessKey>{}</SecretAccessKey>",
        'secret_key = "{}"',
        "token={};",
    ]
)


def render(text: str | bytes) -> str:
    explanation = diagnose(text)
    return ExplainTextFormatter(show_all=True).format(explanation) + json.dumps(
        explanation.to_dict(), ensure_ascii=False
    )


def pieces(value: str, size: int = 4) -> set[str]:
    return {value[i : i + size] for i in range(len(value) - size + 1)}


@FUZZ
@given(before=NOISE, error=st.sampled_from(ERRORS), after=NOISE)
def test_any_text_is_answered_without_a_traceback(before: str, error: str, after: str) -> None:
    out = render(before + error + after)
    assert out
    assert diagnose(before + error + after).found


@FUZZ
@given(data=st.binary(max_size=3000))
def test_any_bytes_are_answered_without_a_traceback(data: bytes) -> None:
    assert render(data)


@FUZZ
@given(
    before=NOISE,
    form=FORMS,
    secret=SECRETS,
    damage=DAMAGE,
    cut=st.integers(min_value=1, max_value=59),
    error=st.sampled_from(ERRORS),
    joiner=st.sampled_from(["\n", " ", " | "]),
)
def test_no_piece_of_a_labelled_secret_is_printed(
    before: str, form: str, secret: str, damage: str, cut: int, error: str, joiner: str
) -> None:
    cut = min(cut, len(secret) - 1)
    if damage == " ":
        cut = max(cut, 8)  # a blank splits a value in two; each half is still one value
    damaged = secret[:cut] + damage + secret[cut:]
    pasted = form.format(damaged)
    text = "x " + pasted + joiner + error
    out = render(text)
    # Pieces the output may hold for other reasons: the text around the secret, and what
    # explain prints for the same text with a neutral value in the secret's place.
    neutral = render("x " + form.format("Q" * len(secret)) + joiner + error)
    allowed = pieces(before + form + error + neutral)
    leaked = sorted(p for p in pieces(secret) - allowed if p in out)
    assert not leaked, f"pieces of {secret!r} printed from {pasted!r}: {leaked}"
