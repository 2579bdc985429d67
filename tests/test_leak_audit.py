"""The leak audit over every command: no 4 characters of a secret in anything keydoctor says.

``test_no_secret_leaks`` covers ``check --offline`` and the ``fix`` previews on files and
variables. This module covers what talks to AWS (a moto server) or reads what a person
pastes: ``check`` online, the ``fix`` previews that ask AWS (``set-region``,
``rotate-key``), ``explain``, ``redshift`` (offline and online), the hook
(``keydoctor.integration`` through ``keydoctor.install()``), ``keydoctor run``, and the
lab's own report; each in every format it offers, stdout and stderr, and for JSON the
decoded strings as well (an escaped secret is still a secret).

Two kinds of secret are used. Secrets the test chooses are built from the run "QzXj7W"
(see ``test_no_secret_leaks``): no fixed text of keydoctor contains a 4-character window
of them, so any window in the output is a leak. Secrets moto makes are random; for them
the same command runs twice, with two users' secrets, and a window of the first
secret that also appears in the second run's output is fixed text, not a leak (the
second run never saw the first secret). Key ids are not secrets but must be masked: no
8 contiguous characters of one may appear.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from keydoctor.lab.emulator import Emulator, Keys
from test_no_secret_leaks import (
    V_PASSWORD,
    V_SECRET,
    V_TOKEN,
    Scenario,
    _run_main,
    _strings,
    key_id_middles,
    small_fragments,
)

FORMATS = ("text", "json", "sarif")
SMALL = 4
READER = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:*", "iam:Get*", "iam:List*"], "Resource": "*"}
    ],
}


def _texts(stdout: str, stderr: str) -> dict[str, str]:
    """The streams, and a JSON stdout's strings decoded (escapes undone)."""
    texts = {"stdout": stdout, "stderr": stderr}
    for line_or_all in (stdout, *stdout.splitlines()):
        try:
            document = json.loads(line_or_all)
        except ValueError:
            continue
        texts["stdout (decoded)"] = texts.get("stdout (decoded)", "") + "\n".join(
            _strings(document)
        )
    return texts


def chosen_leaks(label: str, stdout: str, stderr: str, secrets: set[str]) -> list[str]:
    """Windows of secrets the test chose (collision-free by construction)."""
    pieces = set().union(*(small_fragments(s) for s in secrets))
    return [
        f"{label} {name}: {sorted(p for p in pieces if p in text)[:3]}"
        for name, text in _texts(stdout, stderr).items()
        if any(p in text for p in pieces)
    ]


def windows(value: str) -> set[str]:
    return {value[i : i + SMALL] for i in range(len(value) - SMALL + 1)}


def random_leaks(label: str, output: str, secrets: set[str], control: str) -> list[str]:
    """Windows of moto's secrets in ``output`` that the control run (which never saw
    them) did not print as well."""
    pieces = set().union(*(windows(s) for s in secrets)) if secrets else set()
    found = sorted(p for p in pieces if p in output and p not in control)
    return [f"{label}: {found[:5]}"] if found else []


def unmasked_ids(label: str, text: str, key_ids: set[str]) -> list[str]:
    pieces = set().union(*(key_id_middles(k) for k in key_ids)) if key_ids else set()
    found = sorted(p for p in pieces if p in text)
    return [f"{label}: unmasked key id piece {found[0]!r}"] if found else []


def _env(tmp: Path, extra: dict[str, str]) -> dict[str, str]:
    home = tmp / "home"
    (home / ".aws").mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "KEYDOCTOR_"))}
    env.update(HOME=str(home), AWS_EC2_METADATA_DISABLED="true", **extra)
    return env


def _keydoctor(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "keydoctor", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1, 2), (args, proc.returncode, proc.stderr)
    if proc.returncode == 2:  # a refusal is one line, and it is audited like the rest
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    return proc.stdout, proc.stderr


@pytest.fixture(scope="module")
def world(moto_server: Emulator) -> dict[str, Any]:
    """Two users with moto's random secrets (a run and its control) and one bucket."""
    suffix = uuid.uuid4().hex[:8]
    bucket = f"kd-leak-{suffix}"
    moto_server.create_bucket(bucket)
    users = [moto_server.create_user(f"leak-{n}-{suffix}", READER) for n in ("a", "b")]
    return {"bucket": bucket, "users": users, "endpoint": moto_server.endpoint}


def _file_env(tmp: Path, key_id: str, secret: str, token: str | None = None) -> dict[str, str]:
    env = _env(tmp, {"AWS_DEFAULT_REGION": "us-east-1"})
    lines = ["[default]", f"aws_access_key_id = {key_id}", f"aws_secret_access_key = {secret}"]
    if token is not None:
        lines.append(f"aws_session_token = {token}")
    (Path(env["HOME"]) / ".aws" / "credentials").write_text("\n".join(lines) + "\n")
    return env


def test_check_online_in_every_format(tmp_path: Path, world: dict[str, Any]) -> None:
    """Valid keys (moto's secrets, against a control run), a wrong secret and a foreign
    token (chosen), each through the live probes in text, JSON and SARIF."""
    endpoint, bucket = world["endpoint"], world["bucket"]
    first, second = world["users"]
    leaks: list[str] = []
    runs = 0
    for fmt in FORMATS:
        args = ("check", "--format", fmt, "--endpoint-url", endpoint, "--bucket", bucket)
        outputs = {}
        for keys in (first, second):
            env = _file_env(
                tmp_path / f"valid-{fmt}-{keys.user}", keys.access_key_id, keys.secret_access_key
            )
            outputs[keys.user] = "\n".join(_texts(*_keydoctor(env, *args)).values())
            runs += 1
        for keys, other in ((first, second), (second, first)):
            leaks += random_leaks(
                f"check {fmt} (valid keys)",
                outputs[keys.user],
                {keys.secret_access_key},
                outputs[other.user],
            )
            leaks += unmasked_ids(f"check {fmt}", outputs[keys.user], {keys.access_key_id})
        for name, secret, token in (
            ("wrong secret", V_SECRET, None),
            ("foreign token", first.secret_access_key, V_TOKEN),
        ):
            env = _file_env(tmp_path / f"{name}-{fmt}", first.access_key_id, secret, token)
            stdout, stderr = _keydoctor(env, *args)
            runs += 1
            assert "KD6" in stdout or "KD7" in stdout, stdout[:400]  # the probes answered
            chosen = {s for s in (secret, token) if s is not None and "QzXj" in s}
            leaks += chosen_leaks(f"check {fmt} ({name})", stdout, stderr, chosen)
            leaks += unmasked_ids(f"check {fmt} ({name})", stdout + stderr, {first.access_key_id})
    print(f"\nchecked {runs} online check runs; {len(leaks)} leaks")
    assert not leaks, "\n".join(leaks)


def test_fix_previews_that_ask_aws(tmp_path: Path, world: dict[str, Any]) -> None:
    """``set-region`` and ``rotate-key`` previews (they read the bucket and the keys)."""
    endpoint, bucket = world["endpoint"], world["bucket"]
    first = world["users"][0]
    leaks: list[str] = []
    for fix in (("set-region", "--bucket", bucket), ("rotate-key",), ()):
        for fmt in ("text", "json"):
            env = _file_env(
                tmp_path / f"{'-'.join(fix) or 'all'}-{fmt}",
                first.access_key_id,
                f'"{V_SECRET}" ',
                V_TOKEN,
            )
            stdout, stderr = _keydoctor(
                env, "fix", *fix, "--format", fmt, "--endpoint-url", endpoint
            )
            label = f"fix {' '.join(fix)} {fmt}"
            leaks += chosen_leaks(label, stdout, stderr, {V_SECRET, V_TOKEN})
            leaks += unmasked_ids(label, stdout + stderr, {first.access_key_id})
    assert not leaks, "\n".join(leaks)


PASTED = (
    "An error occurred (SignatureDoesNotMatch) when calling the GetObject operation: The "
    "request signature we calculated does not match the signature you provided.\n"
    f"[default]\naws_access_key_id = AKIAZ7LEAKCHECKKEY01\naws_secret_access_key = {V_SECRET}\n",
    "botocore.exceptions.ClientError: An error occurred (InvalidToken) when calling the "
    "ListBuckets operation: The provided token is malformed or otherwise invalid.\n"
    f"X-Amz-Security-Token: {V_TOKEN}\n"
    f"export AWS_SECRET_ACCESS_KEY='{V_SECRET}'",
    f'Could not connect to the endpoint URL: "https://user:{V_PASSWORD}@minio.local:9000/b"',
    "ERROR: S3ServiceException:The AWS Access Key Id you provided does not exist in our "
    "records.,Status 403,Error InvalidAccessKeyId\n"
    f"CREDENTIALS 'aws_access_key_id=AKIAZ7LEAKCHECKKEY01;aws_secret_access_key={V_SECRET}'",
)


def test_explain_in_every_format(tmp_path: Path) -> None:
    """Pasted errors carrying secrets: argument, --file, --batch, --all, --check."""
    leaks: list[str] = []
    secrets = {V_SECRET, V_TOKEN, V_PASSWORD}
    ids = {"AKIAZ7LEAKCHECKKEY01"}
    batch = tmp_path / "batch.jsonl"
    batch.write_text("".join(json.dumps({"id": n, "text": t}) + "\n" for n, t in enumerate(PASTED)))
    scenario = Scenario(
        "explain",
        env={"AWS_ACCESS_KEY_ID": "AKIAZ7LEAKCHECKKEY01", "AWS_SECRET_ACCESS_KEY": V_SECRET},
    )
    runs = 0
    for number, text in enumerate(PASTED):
        pasted = tmp_path / f"pasted-{number}.txt"
        pasted.write_text(text)
        for fmt in ("text", "json"):
            for extra in ((), ("--all",), ("--check",)):
                argv = ["explain", text, "--format", fmt, *extra]
                home = tmp_path / f"e{number}-{fmt}-{len(extra)}{''.join(extra)}" / "home"
                stdout, stderr, code = _run_main(scenario, argv, home)
                runs += 1
                assert code in (0, 1), (argv, stderr)
                leaks += chosen_leaks(f"explain #{number} {fmt} {extra}", stdout, stderr, secrets)
                leaks += unmasked_ids(f"explain #{number}", stdout + stderr, ids)
        stdout, stderr = _keydoctor(
            _env(tmp_path / f"file-{number}", {}), "explain", "--file", str(pasted)
        )
        runs += 1
        leaks += chosen_leaks(f"explain --file #{number} (subprocess)", stdout, stderr, secrets)
    stdout, stderr = _keydoctor(_env(tmp_path / "batch", {}), "explain", "--batch", str(batch))
    runs += 1
    assert len(stdout.splitlines()) == len(PASTED)
    leaks += chosen_leaks("explain --batch", stdout, stderr, secrets)
    print(f"\nchecked {runs} explain runs; {len(leaks)} leaks")
    assert not leaks, "\n".join(leaks)


def test_redshift_offline_and_online_in_every_format(tmp_path: Path, world: dict[str, Any]) -> None:
    first = world["users"][0]
    bucket, endpoint = world["bucket"], world["endpoint"]
    statements = (
        f"COPY sales FROM 's3://{bucket}/tickit/' CREDENTIALS "
        f"'aws_access_key_id={first.access_key_id};aws_secret_access_key={V_SECRET}';",
        f"COPY sales FROM 's3://{bucket}/tickit/' ACCESS_KEY_ID '{first.access_key_id}' "
        f"SECRET_ACCESS_KEY '{V_SECRET}' SESSION_TOKEN '{V_TOKEN}' REGION 'us-east-1';",
        f"UNLOAD ('select 1') TO 's3://{bucket}/out/' CREDENTIALS "
        f"'aws_access_key_id={first.access_key_id};\n aws_secret_access_key={V_SECRET};"
        f"token={V_TOKEN}';",
    )
    leaks: list[str] = []
    runs = 0
    for number, sql in enumerate(statements):
        for fmt in FORMATS:
            for mode in (("--offline",), ("--endpoint-url", endpoint)):
                env = _env(tmp_path / f"rs-{number}-{fmt}-{mode[0]}", {})
                stdout, stderr = _keydoctor(env, "redshift", "--format", fmt, *mode, stdin=sql)
                runs += 1
                label = f"redshift #{number} {fmt} {mode[0]}"
                leaks += chosen_leaks(label, stdout, stderr, {V_SECRET, V_TOKEN})
                leaks += unmasked_ids(label, stdout + stderr, {first.access_key_id})
    print(f"\nchecked {runs} redshift runs; {len(leaks)} leaks")
    assert not leaks, "\n".join(leaks)


PROGRAM = """
import os, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["TEST_ENDPOINT"], region_name="us-east-1")
s3.list_objects_v2(Bucket=os.environ["TEST_BUCKET"])
"""
HOOKED = """
import json, os, boto3, keydoctor
keydoctor.install()
s3 = boto3.client("s3", endpoint_url=os.environ["TEST_ENDPOINT"], region_name="us-east-1")
try:
    s3.list_objects_v2(Bucket=os.environ["TEST_BUCKET"])
except Exception as exc:
    print(str(exc))
    print(json.dumps(exc.keydoctor.to_dict(), ensure_ascii=False))
    print(exc.keydoctor.summary())
    print(repr(exc.keydoctor))
    raise
"""


def test_hook_and_run(tmp_path: Path, world: dict[str, Any]) -> None:
    """The hook's ``exc.keydoctor`` (dict, summary, repr), the exception it decorates, the
    traceback, and ``keydoctor run``'s own output, for a wrong secret and a bad token."""
    first = world["users"][0]
    leaks: list[str] = []
    program = tmp_path / "app.py"
    program.write_text(PROGRAM)
    hooked = tmp_path / "hooked.py"
    hooked.write_text(HOOKED)
    cases = {
        "wrong secret": {
            "AWS_ACCESS_KEY_ID": first.access_key_id,
            "AWS_SECRET_ACCESS_KEY": V_SECRET,
        },
        "token with a long-term key": {
            "AWS_ACCESS_KEY_ID": first.access_key_id,
            "AWS_SECRET_ACCESS_KEY": V_SECRET,
            "AWS_SESSION_TOKEN": V_TOKEN,
        },
    }
    for name, variables in cases.items():
        env = _env(
            tmp_path / name.replace(" ", "-"),
            {**variables, "TEST_ENDPOINT": world["endpoint"], "TEST_BUCKET": world["bucket"]},
        )
        for command in (
            [sys.executable, str(hooked)],
            [sys.executable, "-m", "keydoctor", "run", "--", sys.executable, str(program)],
            [
                sys.executable,
                "-m",
                "keydoctor",
                "run",
                "--probe",
                "--",
                sys.executable,
                str(program),
            ],
        ):
            proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
            assert proc.returncode != 0  # the call failed, as it should
            assert "keydoctor" in (proc.stdout + proc.stderr).lower()
            label = f"{name}: {' '.join(Path(c).name for c in command[1:4])}"
            leaks += chosen_leaks(label, proc.stdout, proc.stderr, {V_SECRET, V_TOKEN})
            leaks += unmasked_ids(label, proc.stdout + proc.stderr, {first.access_key_id})
    assert not leaks, "\n".join(leaks)


_SQL_SECRETS = re.compile(r"(?:aws_secret_access_key=|token=|SECRET_ACCESS_KEY ')([^;'\s]+)")


def _lab_secrets(session: Any) -> tuple[set[str], set[str]]:
    """Every secret and key id the lab wrote for its scenarios (files, variables, SQL)."""
    secrets: set[str] = set()
    ids: set[str] = set()
    for prepared in session.prepared:
        setup = prepared.setup
        for text in (setup.credentials or "", setup.config or ""):
            for line in text.splitlines():
                key, _, value = line.partition("=")
                if "secret" in key or "token" in key:
                    secrets.add(value.strip().strip('"'))
                elif "key_id" in key:
                    ids.add(value.strip())
        for key, value in setup.env.items():
            if key.endswith("_FILE"):
                continue  # a path (AWS_WEB_IDENTITY_TOKEN_FILE): shown, and no secret
            (secrets if "SECRET" in key or "TOKEN" in key else ids).add(value.strip())
    for prepared in session.redshift:
        secrets |= set(_SQL_SECRETS.findall(prepared.setup.sql))
        ids |= set(re.findall(r"A[KS]IA[A-Z0-9]{16}", prepared.setup.sql))
    admin = session.emulator.admin
    secrets.add(admin.secret_access_key)
    ids.add(admin.access_key_id)
    return {s for s in secrets if len(s) >= SMALL}, {i for i in ids if i.startswith("A")}


def _lab_reports(scratch: Path) -> tuple[str, set[str], set[str]]:
    """Every scenario through the lab (fix step included), its text and JSON reports."""
    from keydoctor.lab.registry import ALL
    from keydoctor.lab.report import render_json, render_text
    from keydoctor.lab.runner import LabSession, run_scenarios

    session = LabSession(scratch)
    session.start()
    try:
        outcomes = run_scenarios(session, ALL)
        assert all(o.passed for o in outcomes), [o.failures for o in outcomes]
        endpoint = session.endpoint
        text = render_text(outcomes, endpoint=endpoint, seconds=1.0, commands={})
        document = render_json(outcomes, endpoint=endpoint, seconds=1.0, commands={})
        secrets, ids = _lab_secrets(session)
    finally:
        session.close()
    return "\n".join([text, document, *_strings(json.loads(document))]), secrets, ids


def test_lab_report_in_both_formats(tmp_path: Path) -> None:
    """Two lab runs on fresh emulators (different secrets); each is the other's control."""
    first, first_secrets, first_ids = _lab_reports(tmp_path / "first")
    second, second_secrets, second_ids = _lab_reports(tmp_path / "second")
    assert len(first_secrets) >= 20 and not (first_secrets & second_secrets)
    leaks = random_leaks("lab (first run)", first, first_secrets, second)
    leaks += random_leaks("lab (second run)", second, second_secrets, first)
    leaks += unmasked_ids("lab (first run)", first, first_ids)
    leaks += unmasked_ids("lab (second run)", second, second_ids)
    assert not leaks, "\n".join(leaks)


def test_the_audit_finds_a_planted_leak() -> None:
    """Each detector fails on a real leak, so a clean result means something."""
    assert chosen_leaks("x", f"fix: {V_SECRET[3:9]}", "", {V_SECRET})
    escaped = json.dumps({"fix": V_SECRET[:6]}).replace("z", "\\u007a")  # "Q\u007aXj7W"
    assert "QzXj" not in escaped and chosen_leaks("x", escaped, "", {V_SECRET})
    keys = Keys("u", "AKIAZ7LEAKCHECKKEY01", "kH8Oool8Dkl0aBcD")
    assert random_leaks("x", "said kH8O", {keys.secret_access_key}, "other text")
    assert not random_leaks("x", "said kH8O", {keys.secret_access_key}, "kH8O is fixed")
    assert unmasked_ids("x", "AKIAZ7LEAKCH", {keys.access_key_id})
    assert not unmasked_ids("x", "AKIA…EY01", {keys.access_key_id})


def test_logs_in_every_format(tmp_path: Path) -> None:
    """CloudTrail records and access log lines that carry chosen secrets and tokens (in the
    user agent, the request parameters, the error message, even the address field): the
    answer names the keys masked and none of the secrets, in text and JSON."""
    import gzip

    key = "AKIAQZXJ7WQZXJ7WQZXJ"
    session_key = "ASIAQZXJ7WQZXJ7WQZX2"
    folder = tmp_path / "AWSLogs" / "o-leak" / "111122223333" / "CloudTrail" / "us-east-1"
    folder = folder / "2026" / "01" / "01"
    folder.mkdir(parents=True)
    records = [
        {
            "eventTime": "2026-01-01T00:00:00Z",
            "eventSource": "s3.amazonaws.com",
            "eventName": "GetObject",
            "awsRegion": "us-east-1",
            "sourceIPAddress": f"aws_secret_access_key={V_SECRET}",
            "userAgent": f"tool/1.0 aws_secret_access_key={V_SECRET} aws_session_token={V_TOKEN}",
            "errorCode": "x",
            "errorMessage": f"secret {V_SECRET} password {V_PASSWORD}",
            "requestParameters": {"secretAccessKey": V_SECRET, "token": V_TOKEN},
            "userIdentity": {"accessKeyId": identity, "arn": f"arn:aws:iam::111122223333:user/{n}"},
            "recipientAccountId": "111122223333",
        }
        for n, identity in enumerate((key, session_key))
    ]
    with gzip.open(folder / "leak_CloudTrail_us-east-1_20260101T0000Z_1.json.gz", "wt") as handle:
        json.dump({"Records": records}, handle)
    access = tmp_path / "s3" / "2026-01-01-00-00-00-0123456789ABCDEF"
    access.parent.mkdir()
    access.write_text(
        f'owner bucket [01/Jan/2026:00:00:00 +0000] 192.0.2.1 {key} REQ REST.GET.OBJECT k '
        f'"GET /k?X-Amz-Credential={key}&X-Amz-Signature={V_SECRET} HTTP/1.1" 403 AccessDenied '
        f'1 - 1 1 "-" "ua aws_secret_access_key={V_SECRET}" -\n'
    )
    # The same secrets in CSV exports: an Athena result (the key inside the useridentity
    # struct's text) and a CloudTrail Lake result (userIdentity as JSON text, gzip).
    exported = tmp_path / "exports"
    exported.mkdir()
    struct = (
        "{type=IAMUser, principalid=AIDAEXAMPLE, arn=arn:aws:iam::111122223333:user/csv, "
        f"accountid=111122223333, invokedby=null, accesskeyid={key}, username=csv, "
        "sessioncontext=null}"
    )
    row = [
        "2026-01-01T00:00:00Z",
        struct,
        f"aws_secret_access_key={V_SECRET}",
        f"tool/1.0 aws_secret_access_key={V_SECRET} aws_session_token={V_TOKEN}",
        "x",
        f"secret {V_SECRET} password {V_PASSWORD}",
        json.dumps({"secretAccessKey": V_SECRET, "token": V_TOKEN}),
    ]
    header = "eventtime,useridentity,sourceipaddress,useragent,errorcode,errormessage,"
    header += "requestparameters\n"
    quoted = ",".join('"' + v.replace('"', '""') + '"' for v in row) + "\n"
    (exported / "0f1e2d3c-athena.csv").write_text(header + quoted)
    lake_identity = json.dumps({"accessKeyId": session_key, "arn": "arn:aws:iam::1:user/l"})
    lake_row = [
        "2026-01-01 00:00:00.000",
        lake_identity,
        f"ua aws_secret_access_key={V_SECRET}",
        f"password {V_PASSWORD} token {V_TOKEN}",
    ]
    lake = "eventTime,userIdentity,userAgent,errorMessage\n"
    lake += ",".join('"' + v.replace('"', '""') + '"' for v in lake_row) + "\n"
    with gzip.open(exported / "result_1.csv.gz", "wt") as handle:
        handle.write(lake)
    env = _env(tmp_path, {})
    leaks: list[str] = []
    for fmt in ("text", "json"):
        stdout, stderr = _keydoctor(env, "logs", str(exported), "--format", fmt, "--quiet")
        assert "AKIA" in stdout and "ASIA" in stdout  # both keys come out of the CSV, masked
        leaks += chosen_leaks(f"logs csv {fmt}", stdout, stderr, {V_SECRET, V_TOKEN, V_PASSWORD})
        for name, text in _texts(stdout, stderr).items():
            leaks += unmasked_ids(f"logs csv {fmt} {name}", text, {key, session_key})
    for fmt in ("text", "json"):
        stdout, stderr = _keydoctor(env, "logs", str(tmp_path), "--format", fmt, "--quiet")
        assert "AKIA" in stdout  # the key is reported, masked
        leaks += chosen_leaks(f"logs {fmt}", stdout, stderr, {V_SECRET, V_TOKEN, V_PASSWORD})
        for name, text in _texts(stdout, stderr).items():
            leaks += unmasked_ids(f"logs {fmt} {name}", text, {key, session_key})
    assert leaks == []
