"""Regressions: every printed fix is right, proven by carrying it out and checking again.

Each test builds the failing setup in a throwaway HOME, runs keydoctor as a user would (a
subprocess), and where the output prints a fix, applies that fix *as printed*: a
``keydoctor fix ...`` line is run as it stands; an ``aws configure set ...`` line is
carried out with keydoctor's own INI writer exactly as the AWS CLI v1 would write it (the
AWS CLI pins another botocore than the one under test, so it is not a test dependency);
an "Edit FILE line N to read: key = value" step is applied to that line. Then ``check
--offline`` runs again and the finding must be gone.
"""

from __future__ import annotations

import json
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from keydoctor.fixes import ini
from keydoctor.lab.emulator import Emulator

KEY_ID = "AKIAY34FZKBOKMUTVV7A"
SECRET = "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"
CREDENTIAL_KEYS = {"aws_access_key_id", "aws_secret_access_key", "aws_session_token"}


def keydoctor(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "keydoctor", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def check(env: dict[str, str], *args: str) -> dict[str, Any]:
    proc = keydoctor(env, "check", "--offline", "--format", "json", *args)
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def every_output(env: dict[str, str], *args: str) -> str:
    """The offline report in every format, stdout and stderr together."""
    out = []
    for fmt in ("text", "json", "sarif"):
        proc = keydoctor(env, "check", "--offline", "--format", fmt, *args)
        out.append(proc.stdout + proc.stderr)
    return "\n".join(out)


def finding(doc: dict[str, Any], code: str) -> dict[str, Any]:
    found = [f for f in doc["findings"] if f["code"] == code]
    assert found, f"{code} not in {[f['code'] for f in doc['findings']]}"
    return found[0]


def codes(doc: dict[str, Any]) -> set[str]:
    return {f["code"] for f in doc["findings"]}


def aws_dir(env: dict[str, str]) -> Path:
    return Path(env["HOME"]) / ".aws"


def write(env: dict[str, str], name: str, text: str) -> Path:
    path = aws_dir(env) / name
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def fragments(secret: str, size: int = 4) -> set[str]:
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


def _aws_configure_set(argv: list[str], env: dict[str, str]) -> None:
    """``aws configure set KEY VALUE [--profile P]`` as the AWS CLI v1 writes it."""
    rest = argv[3:]
    profile = "default"
    if "--profile" in rest:
        at = rest.index("--profile")
        profile = rest[at + 1]
        del rest[at : at + 2]
    assert len(rest) == 2, argv
    key, value = rest
    kind = "credentials" if key in CREDENTIAL_KEYS else "config"
    path = aws_dir(env) / kind
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(
        ini.set_options(
            text,
            ini.profile_matcher(kind, profile),
            ini.section_header_for(kind, profile),
            {key: value},
        ),
        encoding="utf-8",
    )


_EDIT = re.compile(r"Edit (?P<path>\S+) line (?P<line>\d+) to read: (?P<text>\S+ = \S+)")


def apply_printed_fix(fix: str, env: dict[str, str]) -> None:
    """Carry out a printed fix literally: the command before any explanation in brackets."""
    command = fix.split("   (")[0].strip()
    edit = _EDIT.fullmatch(command)
    if edit is not None:
        path = Path(edit["path"])
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        lines[int(edit["line"]) - 1] = edit["text"] + "\n"
        path.write_text("".join(lines), encoding="utf-8")
        return
    argv = shlex.split(command)
    if argv[0] == "keydoctor":
        keydoctor(env, *argv[1:])
        return
    if argv[:3] == ["aws", "configure", "set"]:
        _aws_configure_set(argv, env)
        return
    raise AssertionError(f"not a fix that can be carried out: {fix!r}")


# -- 1. folded lines ----------------------------------------------------------------------


def test_regression_folded_key_id_line_is_masked_and_named(clean_env: dict[str, str]) -> None:
    write(
        clean_env,
        "credentials",
        f"[default]\nregion = us-east-1\n\taws_access_key_id = {KEY_ID}\n"
        f"aws_secret_access_key = {SECRET}\n",
    )
    output = every_output(clean_env)
    for leaked in (KEY_ID, KEY_ID.lower(), "aws-access-key-id", *fragments(SECRET)):
        assert leaked not in output
    text = keydoctor(clean_env, "check", "--offline").stdout
    region_line = next(line for line in text.splitlines() if line.startswith("  region:"))
    assert region_line.startswith("  region:  us-east-1 (") and "KD314" in region_line
    doc = check(clean_env)
    folded = finding(doc, "KD314")
    assert "starts with a tab" in folded["explanation"]
    assert "continuation of region on line 2" in folded["explanation"]
    assert "KD402" not in codes(doc)  # the region is not a typo: the fold is the cause
    # "No credentials" names the fold too, instead of recreating the profile.
    assert finding(doc, "KD203")["fix"].startswith("keydoctor fix tidy --apply")
    apply_printed_fix(folded["fix"], clean_env)
    after = check(clean_env)
    assert {"KD314", "KD203", "KD209"}.isdisjoint(codes(after))
    assert after["credentials"]["winner"]["access_key_id"] == "AKIA…VV7A"
    assert "\taws_access_key_id" not in (aws_dir(clean_env) / "credentials").read_text()


# -- 2. swapped values --------------------------------------------------------------------


def test_regression_swapped_key_id_and_secret_show_no_fragment(clean_env: dict[str, str]) -> None:
    path = write(
        clean_env,
        "credentials",
        f"[default]\naws_access_key_id = {SECRET}\naws_secret_access_key = {KEY_ID}\n",
    )
    output = every_output(clean_env)
    leaks = sorted(f for f in fragments(SECRET) if f in output)
    assert leaks == []
    doc = check(clean_env)
    assert doc["credentials"]["winner"]["access_key_id"] == "(hidden: not shaped like a key id)"
    swapped = finding(doc, "KD108")
    assert "AKIA…VV7A" in swapped["explanation"]
    # The fix is a manual exchange of the two values: carry it out, check again.
    text = path.read_text(encoding="utf-8")
    match = ini.profile_matcher("credentials", "default")
    path.write_text(
        ini.set_options(
            text,
            match,
            "default",
            {"aws_access_key_id": KEY_ID, "aws_secret_access_key": SECRET},
        ),
        encoding="utf-8",
    )
    assert "KD108" not in codes(check(clean_env))


# -- 3. region typos, validated and quoted ------------------------------------------------


def test_regression_region_typo_fix_is_validated_and_quoted(clean_env: dict[str, str]) -> None:
    profile = "dev$ops"
    write(clean_env, "config", f'[profile "{profile}"]\nregion = us-east1\n')
    write(
        clean_env,
        "credentials",
        f"[{profile}]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n",
    )
    env = dict(clean_env, AWS_PROFILE=profile)
    typo = finding(check(env), "KD402")
    assert "did you mean us-east-1?" in typo["explanation"]
    argv = shlex.split(typo["fix"])
    assert argv == ["aws", "configure", "set", "region", "us-east-1", "--profile", profile]
    assert "'dev$ops'" in typo["fix"]  # quoted: the shell would expand $ops
    apply_printed_fix(typo["fix"], env)
    assert {"KD402", "KD403"}.isdisjoint(codes(check(env)))


def test_regression_region_from_the_credentials_file_is_edited_where_it_wins(
    clean_env: dict[str, str],
) -> None:
    write(
        clean_env,
        "credentials",
        f"[default]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"
        "region = us-east1\n",
    )
    typo = finding(check(clean_env), "KD402")
    assert typo["fix"].startswith(f"Edit {aws_dir(clean_env) / 'credentials'} line 4 to read")
    apply_printed_fix(typo["fix"], clean_env)
    after = check(clean_env)
    assert "KD402" not in codes(after)
    assert after["region"]["name"] == "us-east-1"


@pytest.mark.parametrize("value", ["$(id)", "`id`", "us-east-1;rm -rf ~", "a b"])
def test_regression_unvalidated_region_never_reaches_a_command(
    clean_env: dict[str, str], value: str
) -> None:
    write(clean_env, "config", f"[default]\nregion = {value}\n")
    for env in (clean_env, dict(clean_env, AWS_DEFAULT_REGION=value)):
        doc = check(env)
        fixes = [f["fix"] for f in doc["findings"] if f["code"].startswith("KD4")]
        assert fixes
        for fix in fixes:
            assert value not in fix
            assert "$(" not in fix and "`" not in fix


# -- 4. large but valid files -------------------------------------------------------------


def test_regression_large_valid_config_is_read_not_failed(clean_env: dict[str, str]) -> None:
    blocks = [
        "[default]\nregion = eu-west-1\n\n[sso-session corp]\n"
        "sso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n"
    ]
    for n in range(9756):
        blocks.append(
            f"\n[profile acct-{n:05d}]\nsso_session = corp\nsso_account_id = "
            f"{100000000000 + n}\nsso_role_name = ReadOnlyAccess\nregion = eu-west-1\n"
        )
    path = write(clean_env, "config", "".join(blocks))
    assert path.stat().st_size > 1 << 20
    write(
        clean_env,
        "credentials",
        f"[default]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n",
    )
    doc = check(clean_env)
    assert {"KD307", "KD308"}.isdisjoint(codes(doc))
    assert finding(doc, "KD315")["severity"] == "info"
    assert doc["region"]["name"] == "eu-west-1"
    assert doc["credentials"]["failure"] is None
    # A profile deep in the file is one botocore reads too.
    deep = check(dict(clean_env, AWS_PROFILE="acct-09755"))
    assert deep["credentials"]["failure"] is None or "ConfigParse" not in str(
        deep["credentials"]["failure"]
    )
    assert deep["region"]["name"] == "eu-west-1"


# -- 6. keydoctor fix hints carry their flags ---------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "env_profile", "code"),
    [
        (
            "credentials",
            f"[profile dev]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n",
            "dev",
            "KD301",
        ),
        ("config", "[default]\nregion = us-east-1\n[dev]\nregion = eu-west-1\n", None, "KD302"),
        (
            "credentials",
            f"[default]\naws_access_key_id = {KEY_ID}\n"
            f"aws_secret_access_key = {SECRET}\n[default]\naws_access_key_id = {KEY_ID}\n",
            None,
            "KD303",
        ),
    ],
)
def test_regression_section_rename_hint_carries_the_flags_it_needs(
    clean_env: dict[str, str], name: str, text: str, env_profile: str | None, code: str
) -> None:
    write(clean_env, name, text)
    env = dict(clean_env, AWS_PROFILE=env_profile) if env_profile else clean_env
    hint = finding(check(env), code)["fix"]
    printed = re.search(r"keydoctor fix [a-z-]+(?: --[a-z-]+)*", hint)
    assert printed is not None, hint
    assert printed.group(0).strip() == "keydoctor fix tidy --apply --unsafe"
    apply_printed_fix(printed.group(0).strip(), env)
    assert code not in codes(check(env))


# -- 7. advice that fits the diagnosis ----------------------------------------------------


@pytest.fixture
def empty_403_endpoint() -> Iterator[str]:
    """An endpoint that answers every request 403 with an error that names no code."""
    body = (
        b"<ErrorResponse><Error><Type>Sender</Type></Error><RequestId>r</RequestId></ErrorResponse>"
    )

    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(403)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_HEAD = do_PUT = answer

        def log_message(self, *_: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_regression_temporary_key_advice_matches_the_diagnosis(
    clean_env: dict[str, str], moto_server: Emulator, empty_403_endpoint: str
) -> None:
    user = moto_server.create_user(f"kd-temp-{uuid.uuid4().hex[:8]}")
    env = dict(
        clean_env,
        AWS_ACCESS_KEY_ID="ASIA" + user.access_key_id[4:],
        AWS_SECRET_ACCESS_KEY=user.secret_access_key,
        AWS_SESSION_TOKEN="FQoGZXIvYXdzEBYaDHhBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcdefghij",
        AWS_DEFAULT_REGION="us-east-1",
    )
    proc = keydoctor(env, "check", "--endpoint-url", moto_server.endpoint, "--output", "json")
    unknown = finding(json.loads(proc.stdout), "KD610")
    assert "fresh temporary credentials" in unknown["fix"]
    assert "create-access-key" not in unknown["fix"] and "copy" not in unknown["fix"].lower()
    # Redshift: the same temporary key in a COPY clause.
    sql = (
        "COPY t FROM 's3://kd-any-bucket/x' CREDENTIALS 'aws_access_key_id="
        f"{env['AWS_ACCESS_KEY_ID']};aws_secret_access_key={user.secret_access_key};"
        "token=FQoGZXIvYXdzEBYaDHhBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcdefghij'"
    )
    rs = keydoctor(
        clean_env, "redshift", sql, "--endpoint-url", moto_server.endpoint, "--output", "json"
    )
    key_unknown = finding(json.loads(rs.stdout), "KD820")
    assert key_unknown["fix"].startswith("Get fresh temporary credentials")
    # An answer without an error code says what it was, not "AWS answered ".
    keyed = dict(
        clean_env,
        AWS_ACCESS_KEY_ID=KEY_ID,
        AWS_SECRET_ACCESS_KEY=SECRET,
        AWS_DEFAULT_REGION="us-east-1",
    )
    text = keydoctor(keyed, "check", "--endpoint-url", empty_403_endpoint).stdout
    line = next(x for x in text.splitlines() if x.strip().startswith("unknown:"))
    assert not line.rstrip().endswith("AWS answered")
    assert "HTTP 403 without an error code" in line
    # The same refused keys: IAM's refusal is not called "not a fault of the setup".
    doc = json.loads(
        keydoctor(keyed, "check", "--endpoint-url", empty_403_endpoint, "--output", "json").stdout
    )
    unchecked = finding(doc, "KD714")
    assert "not a fault" not in unchecked["explanation"]
    assert "The fault is the keys'" in unchecked["explanation"]


# -- 8. whitespace ------------------------------------------------------------------------


def test_regression_tab_before_key_id_is_reported_and_tidied(clean_env: dict[str, str]) -> None:
    path = write(
        clean_env,
        "credentials",
        f"[default]\naws_access_key_id =\t{KEY_ID}\naws_secret_access_key = {SECRET}\n",
    )
    padding = finding(check(clean_env), "KD309")
    assert "aws_access_key_id" in padding["explanation"]
    apply_printed_fix(padding["fix"], clean_env)
    assert "KD309" not in codes(check(clean_env))
    assert f"aws_access_key_id = {KEY_ID}\n" in path.read_text(encoding="utf-8")


# -- 9. the Redshift report ---------------------------------------------------------------


def test_regression_redshift_region_probe_agrees_and_findings_are_worst_first(
    clean_env: dict[str, str], moto_server: Emulator
) -> None:
    bucket = f"rs-west-{uuid.uuid4().hex[:8]}"
    moto_server.create_bucket(bucket, "us-west-2")
    user = moto_server.create_user(
        f"rs-reader-{uuid.uuid4().hex[:8]}",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["s3:ListBucket", "s3:GetObject", "s3:GetBucketLocation"],
                    "Resource": "*",
                }
            ],
        },
    )
    # Padding around the key id gives a low finding beside the critical KD829.
    sql = (
        f"COPY venue FROM 's3://{bucket}/tickit/' CREDENTIALS 'aws_access_key_id= "
        f"{user.access_key_id};aws_secret_access_key={user.secret_access_key}' "
        "REGION 'us-east-1'"
    )
    proc = keydoctor(
        clean_env, "redshift", sql, "--endpoint-url", moto_server.endpoint, "--format", "json"
    )
    doc = json.loads(proc.stdout)
    statement = doc["statements"][0]
    probes = {p["name"]: p for p in statement["probes"]}
    assert "KD829" in {f["code"] for f in statement["findings"]}
    assert probes["bucket region"]["outcome"] == "mismatch"
    ranks = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
    for findings in (statement["findings"], doc["findings"]):
        order = [ranks[f["severity"]] for f in findings]
        assert order == sorted(order, reverse=True)
    assert len({f["severity"] for f in statement["findings"]}) > 1


# -- 10. the rest -------------------------------------------------------------------------


def test_regression_decode_account_is_twelve_digits_or_unknown() -> None:
    import base64

    from keydoctor.keyid import decode_account

    too_big = "AKIA" + base64.b32encode(b"\xff" * 10).decode()
    assert len(too_big) == 20 and too_big[4] in "QRSTUVWXYZ234567"
    assert decode_account(too_big) is None
    account = decode_account("ASIAY34FZKBOKMUTVV7A")
    assert account is not None and len(account) == 12


def test_regression_invalid_key_id_is_not_blamed_on_another_account(
    clean_env: dict[str, str],
) -> None:
    for code in ("InvalidAccessKeyId", "InvalidClientTokenId"):
        proc = keydoctor(
            clean_env,
            "explain",
            "--output",
            "json",
            f"An error occurred ({code}): keys of another account, wrong account 123456789012",
        )
        causes = json.loads(proc.stdout)["causes"]
        assert causes
        for cause in causes:
            # AWS knows the keys of every account in a partition: another account's key
            # gives AccessDenied, never "unknown key id".
            assert "account" not in cause["title"].lower()
            assert "keys of another aws account" not in cause["explanation"].lower()


def test_regression_output_json_is_accepted_everywhere(clean_env: dict[str, str]) -> None:
    write(
        clean_env,
        "credentials",
        f"[default]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n",
    )
    for args in (
        ["check", "--offline"],
        ["explain", "InvalidAccessKeyId"],
        ["fix"],
        ["lab", "list"],
        ["redshift", "COPY t FROM 's3://b/k' IAM_ROLE default", "--offline"],
    ):
        proc = keydoctor(clean_env, *args, "--output", "json")
        assert proc.returncode in (0, 1), (args, proc.stderr)
        json.loads(proc.stdout)


def test_regression_lab_keep_removes_its_files_on_sigterm(clean_env: dict[str, str]) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "keydoctor", "lab", "run", "healthy", "--keep"],
        env=clean_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        seen.append(line)
        if "keeps running" in line or not line:
            break
    assert any("keeps running" in s for s in seen), "".join(seen)
    proc.send_signal(signal.SIGTERM)
    stdout, _ = proc.communicate(timeout=60)
    match = re.search(r"export AWS_CONFIG_FILE=(\S+)", stdout)
    assert match, stdout
    config = Path(shlex.split(match.group(1))[0])
    scratch = next(p for p in config.parents if p.name.startswith("keydoctor-lab-"))
    assert not scratch.exists()
    assert proc.returncode == 128 + signal.SIGTERM


def test_regression_keydoctor_run_shows_the_audit_the_pytest_plugin_shows(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    write(
        clean_env,
        "credentials",
        f"[default]\nregion = us-east-1\n\taws_access_key_id = {KEY_ID}\n"
        f"aws_secret_access_key = {SECRET}\n",
    )
    program = "import boto3\nboto3.client('sts', region_name='us-east-1').get_caller_identity()\n"
    (tmp_path / "app.py").write_text(program)
    (tmp_path / "test_app.py").write_text("def test_app():\n    import app  # noqa: F401\n")
    env = dict(clean_env, PYTHONPATH=str(tmp_path))
    run = subprocess.run(
        [sys.executable, "-m", "keydoctor", "run", "--", sys.executable, str(tmp_path / "app.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    plugin = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
    )
    audit_lines = [x for x in plugin.stdout.splitlines() if x.startswith("audit KD")]
    assert "audit KD314 (high): An indented line is read as part of the value above it" in (
        audit_lines
    )
    for line in audit_lines:
        assert line in run.stderr.splitlines()
    assert KEY_ID not in run.stderr and SECRET not in run.stderr
