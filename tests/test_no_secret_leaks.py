"""No secret leaves keydoctor: every scenario, every format, stdout and stderr.

The scenarios are every golden fixture under ``tests/fixtures/`` (with the secret values
written in them) and a set of setups built here with known secrets in every place a
secret can sit, including damaged ones (spaces, quotes, line breaks, zero-width and
look-alike characters, swapped fields), because the rules that report a bad character
"at position N" are the ones most tempted to quote the value around it.

A leak is any substring of 8 or more characters of a secret access key or a session
token appearing in the output. Key ids are not secrets; they must appear masked
(first and last four), so a key id's 8-character middle must not appear either.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
FORMATS = ("text", "json", "sarif")
FRAGMENT = 8

SECRET_WORDS = ("secret", "token", "password")
KEY_ID_WORDS = ("access_key_id", "key_id")

SECRET = "U8JZpDE0/iGXlD6gNCFbaEP+FjbD0kH8Oool8Dkl"  # 40 characters, random
SECRET2 = "ZDOCj2ISaJ+iHkTj0rLGlkoMXGjtEkD/nNfribxU"
TOKEN = (
    "IQoJb3JpZ2luX2Vjdl7dXTPyLsxPFkThf4VucSmEHgaKwVJ7faC9qEwjky40"
    "UVsWmflzdE1F8ResqEDusTpkr0cStY4qWB8dWKnHfDNxSIvPZZ63fFKc"
)
KEY_ID = "AKIAZ7LEAKCHECKKEY01"
KEY_ID2 = "AKIAZ7LEAKCHECKKEY02"
ASIA_ID = "ASIAZ7LEAKCHECKTMP03"


@dataclass
class Scenario:
    name: str
    env: dict[str, str] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    secrets: set[str] = field(default_factory=set)
    key_ids: set[str] = field(default_factory=set)
    symlink_credentials: bool = False


def _values_in(data: bytes) -> tuple[set[str], set[str]]:
    """Secret values and key ids written in a shared file, however damaged."""
    secrets: set[str] = set()
    key_ids: set[str] = set()
    text = data.decode("utf-8", errors="replace")
    for line in text.splitlines():
        if "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.strip().lower()
        if any(w in key for w in SECRET_WORDS):
            secrets.add(value)
        elif any(w in key for w in KEY_ID_WORDS):
            key_ids.add(value)
    return secrets, key_ids


def fixture_scenarios() -> list[Scenario]:
    scenarios = []
    for case in sorted(p for p in FIXTURES.iterdir() if (p / "case.toml").exists()):
        spec = tomllib.loads((case / "case.toml").read_text(encoding="utf-8"))
        scenario = Scenario(
            name=f"fixture-{case.name}",
            env={k: str(v) for k, v in spec.get("env", {}).items()},
            args=tuple(spec.get("args", ())),
            symlink_credentials=bool(spec.get("symlink_credentials")),
        )
        for name in ("credentials", "config"):
            if (case / name).exists():
                data = (case / name).read_bytes()
                scenario.files[name] = data
                secrets, ids = _values_in(data)
                scenario.secrets |= secrets
                scenario.key_ids |= ids
        for key, value in scenario.env.items():
            if any(w in key.lower() for w in SECRET_WORDS):
                scenario.secrets.add(value)
            elif key == "AWS_ACCESS_KEY_ID":
                scenario.key_ids.add(value)
        scenarios.append(scenario)
    return scenarios


def _creds(key_id: str, secret: str, token: str | None = None, profile: str = "default") -> bytes:
    lines = [f"[{profile}]", f"aws_access_key_id = {key_id}", f"aws_secret_access_key = {secret}"]
    if token is not None:
        lines.append(f"aws_session_token = {token}")
    return ("\n".join(lines) + "\n").encode()


def built_scenarios() -> list[Scenario]:
    """Known secrets in every place, whole and damaged."""
    env_keys = {"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET}
    damaged = {
        "trailing-space": SECRET + " ",
        "inner-space": SECRET[:17] + " " + SECRET[17:],
        "tab": SECRET[:5] + "\t" + SECRET[5:],
        "quoted": f'"{SECRET}"',
        "single-quoted": f"'{SECRET}'",
        "zero-width": SECRET[:11] + "\u200b" + SECRET[11:],
        "cyrillic-a": SECRET.replace("a", "\u0430", 1),
        "nbsp": SECRET[:20] + "\u00a0" + SECRET[20:],
        "short": SECRET[:39],
        "long": SECRET + "Q",
        "percent-marker": SECRET + "%",
        "crlf": SECRET + "\r",
        "lowercase": SECRET.lower(),
    }
    scenarios = [
        Scenario("env-keys", env=dict(env_keys)),
        Scenario("env-keys-token", env={**env_keys, "AWS_SESSION_TOKEN": TOKEN}),
        Scenario("env-asia-security-token",
                 env={"AWS_ACCESS_KEY_ID": ASIA_ID, "AWS_SECRET_ACCESS_KEY": SECRET,
                      "AWS_SECURITY_TOKEN": TOKEN}),
        Scenario("env-asia-no-token",
                 env={"AWS_ACCESS_KEY_ID": ASIA_ID, "AWS_SECRET_ACCESS_KEY": SECRET}),
        Scenario("env-secret-only", env={"AWS_SECRET_ACCESS_KEY": SECRET}),
        Scenario("env-token-only", env={"AWS_SESSION_TOKEN": TOKEN}),
        Scenario("env-swapped", env={"AWS_ACCESS_KEY_ID": SECRET,
                                     "AWS_SECRET_ACCESS_KEY": KEY_ID}),
        Scenario("env-secret-in-token", env={**env_keys, "AWS_SESSION_TOKEN": SECRET2}),
        Scenario("env-over-profile",
                 env={**env_keys, "AWS_PROFILE": "dev"},
                 files={"credentials": _creds(KEY_ID2, SECRET2, TOKEN, "dev")}),
        Scenario("file-keys", files={"credentials": _creds(KEY_ID, SECRET, TOKEN)}),
        Scenario("file-and-config-keys",
                 files={"credentials": _creds(KEY_ID, SECRET),
                        "config": _creds(KEY_ID2, SECRET2, TOKEN)}),
        Scenario("config-wrong-header",
                 files={"config": b"[dev]\n" + _creds(KEY_ID, SECRET).split(b"\n", 1)[1]},
                 args=("--profile", "dev")),
        Scenario("credentials-profile-header",
                 files={"credentials": _creds(KEY_ID, SECRET, TOKEN, "profile dev")},
                 env={"AWS_PROFILE": "dev"}),
        Scenario("duplicate-keys",
                 files={"credentials": _creds(KEY_ID, SECRET) + _creds(KEY_ID2, SECRET2)}),
        Scenario("garbage-around-keys",
                 files={"credentials": b"garbage line\n" + _creds(KEY_ID, SECRET, TOKEN)}),
        Scenario("bom-crlf",
                 files={"credentials": b"\xef\xbb\xbf"
                        + _creds(KEY_ID, SECRET, TOKEN).replace(b"\n", b"\r\n")}),
        Scenario("latin1",
                 files={"credentials": _creds(KEY_ID, SECRET) + "# \u00e9\n".encode("latin-1")}),
        Scenario("secret-in-process-command",
                 files={"config": f"[default]\ncredential_process = /bin/echo --secret "
                        f"{SECRET}\n".encode()}),
        Scenario("secret-in-role-profile",
                 files={"config": b"[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/x\n"
                        b"source_profile = base\n",
                        "credentials": _creds(KEY_ID, SECRET, TOKEN, "base")},
                 args=("--profile", "dev")),
        Scenario("expect-other-account", env=dict(env_keys),
                 args=("--expect-account", "999999999999")),
        Scenario("expired-env", env={**env_keys, "AWS_SESSION_TOKEN": TOKEN,
                                     "AWS_CREDENTIAL_EXPIRATION": "2001-01-01T00:00:00Z"}),
        Scenario("container-token",
                 env={"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/creds",
                      "AWS_CONTAINER_AUTHORIZATION_TOKEN": TOKEN}),
    ]
    for name, value in damaged.items():
        scenarios.append(Scenario(f"env-secret-{name}",
                                  env={"AWS_ACCESS_KEY_ID": KEY_ID,
                                       "AWS_SECRET_ACCESS_KEY": value},
                                  secrets={value}))
        if "\r" not in value and "\n" not in value:
            scenarios.append(Scenario(f"file-secret-{name}",
                                      files={"credentials": _creds(KEY_ID, value)},
                                      secrets={value}))
    scenarios.append(Scenario("env-token-damaged",
                              env={**env_keys, "AWS_SESSION_TOKEN": " " + TOKEN + "\n"}))
    for scenario in scenarios:
        scenario.secrets |= {SECRET, SECRET2, TOKEN}
        scenario.key_ids |= {KEY_ID, KEY_ID2, ASIA_ID}
    return scenarios


def fragments(value: str) -> set[str]:
    """Every 8-character piece of a secret, of its stripped form and of its inner runs."""
    pieces: set[str] = set()
    for form in {value, value.strip(), value.strip().strip("'\"")}:
        pieces |= {form[i : i + FRAGMENT] for i in range(len(form) - FRAGMENT + 1)}
    # pieces that are only spaces or punctuation say nothing about the secret
    return {p for p in pieces if sum(c.isalnum() for c in p) >= FRAGMENT - 2}


def key_id_middles(key_id: str) -> set[str]:
    """A masked key id shows its first and last four: no 8 contiguous characters of it."""
    value = key_id.strip().strip("'\"")
    if len(value) < 16:
        return set()
    return {value[i : i + FRAGMENT] for i in range(len(value) - FRAGMENT + 1)}


def _prepare(scenario: Scenario, home: Path) -> dict[str, str]:
    """Write the scenario's files under a fresh HOME and return its environment."""
    aws = home / ".aws"
    aws.mkdir(parents=True)
    for name, data in scenario.files.items():
        (aws / name).write_bytes(data)
        os.chmod(aws / name, 0o600)
    if scenario.symlink_credentials and (aws / "credentials").exists():
        (aws / "credentials").rename(aws / "credentials.real")
        (aws / "credentials").symlink_to(aws / "credentials.real")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"HOME": str(home), "AWS_EC2_METADATA_DISABLED": "true"})
    env.update(scenario.env)
    return env


def run(scenario: Scenario, fmt: str, root: Path) -> tuple[str, str, int]:
    env = _prepare(scenario, root / f"{scenario.name}-{fmt}" / "home")
    proc = subprocess.run(
        [sys.executable, "-m", "keydoctor", "check", "--offline", "--format", fmt,
         *scenario.args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return proc.stdout, proc.stderr, proc.returncode


def run_in_process(scenario: Scenario, fmt: str, root: Path) -> tuple[str, str, int]:
    """The same command through :func:`keydoctor.cli.main`, stdout and stderr captured."""
    import contextlib
    import io
    from unittest import mock

    from keydoctor.cli import main

    home = root / f"{scenario.name}-{fmt}-inproc" / "home"
    env = _prepare(scenario, home)
    out, err = io.StringIO(), io.StringIO()
    with mock.patch.dict(os.environ, env, clear=True), contextlib.redirect_stdout(
        out
    ), contextlib.redirect_stderr(err):
        code = main(["check", "--offline", "--format", fmt, *scenario.args])
    return out.getvalue(), err.getvalue(), code


def find_leaks(scenario: Scenario, label: str, stdout: str, stderr: str) -> list[str]:
    secret_pieces = set().union(*(fragments(s) for s in scenario.secrets))
    id_pieces = set().union(*(key_id_middles(k) for k in scenario.key_ids))
    leaks = []
    for stream_name, stream in (("stdout", stdout), ("stderr", stderr)):
        found = sorted(p for p in secret_pieces if p in stream)
        if found:
            leaks.append(f"{scenario.name} [{label}] {stream_name}: secret piece {found[0]!r}")
        found_ids = sorted(p for p in id_pieces if p in stream)
        if found_ids:
            leaks.append(f"{scenario.name} [{label}] {stream_name}: unmasked key id "
                         f"piece {found_ids[0]!r}")
    return leaks


def test_no_secret_in_any_output(tmp_path: Path) -> None:
    """Every scenario in every format through the CLI's own code, in this process (fast),
    and every scenario once more as a real subprocess (what a user's terminal gets)."""
    scenarios = fixture_scenarios() + built_scenarios()
    assert len([s for s in scenarios if s.name.startswith("fixture-")]) >= 40
    leaks: list[str] = []
    runs = 0
    for scenario in scenarios:
        for fmt in FORMATS:
            stdout, stderr, code = run_in_process(scenario, fmt, tmp_path)
            runs += 1
            assert code in (0, 1), (scenario.name, fmt, code, stderr)
            assert stdout.strip(), (scenario.name, fmt)
            leaks += find_leaks(scenario, fmt, stdout, stderr)
    jobs = [(s, FORMATS[i % len(FORMATS)]) for i, s in enumerate(scenarios)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        outputs = list(pool.map(lambda job: run(job[0], job[1], tmp_path), jobs))
    for (scenario, fmt), (stdout, stderr, code) in zip(jobs, outputs, strict=True):
        runs += 1
        assert "Traceback" not in stderr, (scenario.name, stderr)
        assert code in (0, 1), (scenario.name, fmt, code, stderr)
        leaks += find_leaks(scenario, f"{fmt}, subprocess", stdout, stderr)
    print(f"\nchecked {len(scenarios)} scenarios, {runs} runs; {len(leaks)} leaks")
    assert not leaks, "\n".join(leaks[:30])


def parse_accident_scenarios() -> list[Scenario]:
    """Secrets where a parse accident or a mix-up puts them in a key id's place."""
    folded = (
        f"[default]\nregion = us-east-1\n\taws_access_key_id = {KEY_ID}\n"
        f"  aws_secret_access_key = {SECRET}\n"
    ).encode()
    scenarios = [
        Scenario("file-swapped", files={"credentials": _creds(SECRET, KEY_ID)}),
        Scenario("file-folded-key-lines", files={"credentials": folded}),
        Scenario(
            "file-folded-under-region-in-config",
            files={"config": folded, "credentials": _creds(KEY_ID2, SECRET2)},
        ),
        Scenario(
            "shell-metacharacters",
            files={
                "config": b'[profile "dev$ops"]\nregion = $(id)\n',
                "credentials": _creds(SECRET, KEY_ID, profile="dev$ops"),
            },
            env={"AWS_PROFILE": "dev$ops", "AWS_REGION": "`id`"},
        ),
    ]
    for scenario in scenarios:
        scenario.secrets |= {SECRET, SECRET2}
        scenario.key_ids |= {KEY_ID, KEY_ID2}
    return scenarios


def test_no_four_characters_of_a_misplaced_secret(tmp_path: Path) -> None:
    """Swapped fields, folded lines, shell metacharacters: not even 4 characters of a
    secret in any format (a key id's ends are fine, a secret's are not)."""
    leaks: list[str] = []
    for scenario in parse_accident_scenarios():
        pieces = {s[i : i + 4] for s in scenario.secrets for i in range(len(s) - 3)}
        for fmt in FORMATS:
            stdout, stderr, code = run(scenario, fmt, tmp_path)
            assert "Traceback" not in stderr, (scenario.name, stderr)
            assert code in (0, 1), (scenario.name, fmt, code, stderr)
            found = sorted(p for p in pieces if p in stdout or p in stderr)
            if found:
                leaks.append(f"{scenario.name} [{fmt}]: {found[:5]}")
            leaks += find_leaks(scenario, fmt, stdout, stderr)
            fixes = [x for x in stdout.splitlines() if x.strip().startswith("fix:")]
            for value in ("$(id)", "`id`"):
                assert not any(value in line for line in fixes), (scenario.name, fixes)
    assert not leaks, "\n".join(leaks)


def test_fragments_catch_a_real_leak() -> None:
    """The detector itself works: a printed secret piece is found, a masked id is not."""
    assert any(p in f"oops {SECRET[5:15]} printed" for p in fragments(SECRET))
    assert not any(p in "key AKIA…EY01 masked" for p in key_id_middles(KEY_ID))


# --- values masked where they sit: 4-character fragments --------------------------------
#
# These secrets are built from the run "QzXj7W" (and its lower-case, %-encoded and damaged
# forms), so every 4-character window of one holds at least three of Q, z, X, j, 7, W in an
# order no word, rule code, hex digest, date or masked id of keydoctor's output contains:
# any such window in the output can only have come from the secret. The check is therefore
# on every 4-character fragment, without the alphanumeric filter of the test above.

SMALL = 4
UNIT = "QzXj7W"
V_SECRET = (UNIT * 7)[:40]
V_OLD = "Qz/Xj+7WQz/Xj+7WQzXj"  # an old secret, shown %-encoded or lower-cased in comments
V_TOKEN = UNIT * 20
V_PASSWORD = "QzXj7WzQ"
INVISIBLE = {"zwsp": "\u200b", "nbsp": "\u00a0", "wj": "\u2060", "bom": "\ufeff",
             "zwnj": "\u200c"}
ESCAPED = {"tab": "\t", "quote": '"', "backslash": "\\", "control": "\x01",
           "backslash-n": "\\n"}


def small_fragments(value: str) -> set[str]:
    """Every 4-character window of a value and of its forms without invisible characters."""
    forms = {value, "".join(c for c in value if c not in "".join(INVISIBLE.values()))}
    return {f[i : i + SMALL] for f in forms for i in range(len(f) - SMALL + 1)}


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def value_scenarios() -> list[Scenario]:
    """Secrets that a text-level redactor missed: damaged, escaped, in URLs, short."""
    ids = f"[default]\naws_access_key_id = {KEY_ID}\n"
    scenarios: list[Scenario] = []
    for name, char in INVISIBLE.items():
        damaged = V_SECRET[:11] + char + V_SECRET[11:]
        token = V_TOKEN[:30] + char + V_TOKEN[30:]
        scenarios.append(Scenario(
            f"value-invisible-{name}",
            files={"credentials": (ids + f"aws_secret_access_key = {damaged}\n"
                                   f"aws_session_token = {token}\n").encode()},
            secrets={damaged, token},
        ))
    for name, char in ESCAPED.items():
        damaged = V_SECRET[:9] + char + V_SECRET[9:]
        scenarios.append(Scenario(
            f"value-json-escape-{name}",
            files={"credentials": (ids + f"aws_secret_access_key = {damaged}  \r\n").encode()},
            secrets={damaged},
        ))
    encoded = V_OLD.replace("/", "%2F").replace("+", "%2B")
    scenarios.append(Scenario(
        "value-old-secrets-in-context",
        files={"credentials": (
            "\ufeff# rotated; the old one was " + encoded + "\n"
            "; " + V_OLD.lower() + "\n" + ids
            + f"aws_secret_acess_key = {V_OLD}\naws_secret_access_key = {V_SECRET} \n"
        ).encode()},
        secrets={V_OLD, encoded, V_OLD.lower(), V_SECRET},
    ))
    url = f"https://keyuser:{V_PASSWORD}@store.example:9000/base?token={V_TOKEN[:24]}"
    scenarios.append(Scenario(
        "value-urls-with-userinfo",
        files={"config": f"[default]\nregion = us-east-1\nendpoint_url = {url}\n"
                         f"[profile other]\nregion = eu-west-1\n".encode(),
               "credentials": (ids + f"aws_secret_access_key = {V_SECRET}\r\n").encode()},
        env={"AWS_ENDPOINT_URL": url, "AWS_ENDPOINT_URL_S3": url,
             "AWS_CONTAINER_CREDENTIALS_FULL_URI":
                 f"http://u:{V_PASSWORD}@127.0.0.1:9/creds?token={V_TOKEN[:30]}"},
        args=("--endpoint-url", url),
        secrets={V_PASSWORD, V_TOKEN[:24], V_TOKEN[:30], V_SECRET},
    ))
    scenarios.append(Scenario(
        "value-process-arguments",
        files={"config": f"[default]\ncredential_process = /bin/false --password {V_PASSWORD}"
                         f" --token={V_TOKEN[:20]}\r\n".encode()},
        secrets={V_PASSWORD, V_TOKEN[:20]},
    ))
    for short in ("QzXj", "QzXj7"):
        scenarios.append(Scenario(
            f"value-short-secret-{len(short)}",
            files={"credentials": (ids + f"aws_secret_access_key = {short} \r\n"
                                   f"aws_session_token = {short[::-1]}\n").encode()},
            secrets={short, short[::-1]},
        ))
    return scenarios


FIX_RUNS = (("fix",), ("fix", "tidy"), ("fix", "move-keys"))


def _run_main(scenario: Scenario, argv: list[str], home: Path) -> tuple[str, str, int]:
    import contextlib
    import io
    from unittest import mock

    from keydoctor.cli import main

    env = _prepare(scenario, home)
    out, err = io.StringIO(), io.StringIO()
    with mock.patch.dict(os.environ, env, clear=True), contextlib.redirect_stdout(
        out
    ), contextlib.redirect_stderr(err):
        code = main(argv)
    return out.getvalue(), err.getvalue(), code


def small_leaks(scenario: Scenario, label: str, stdout: str, stderr: str, fmt: str) -> list[str]:
    pieces = set().union(*(small_fragments(s) for s in scenario.secrets))
    texts = {"stdout": stdout, "stderr": stderr}
    if fmt in ("json", "sarif"):
        import json

        document = json.loads(stdout)  # also proves the output is valid JSON
        texts["stdout (decoded)"] = "\n".join(_strings(document))
    leaks = []
    for name, text in texts.items():
        found = sorted(p for p in pieces if p in text)
        if found:
            leaks.append(f"{scenario.name} [{label}] {name}: fragment {found[0]!r}")
    return leaks


def test_no_fragment_of_a_value_in_check_or_fix(tmp_path: Path) -> None:
    """`check --offline` in every format and the `fix` previews in text and JSON, for
    secrets damaged by invisible or JSON-escaped characters, in URLs, in a process's
    arguments, in comments and under misspelt keys, and shorter than any pattern."""
    leaks: list[str] = []
    runs = 0
    for scenario in value_scenarios():
        jobs = [(["check", "--offline", "--format", fmt, *scenario.args], fmt)
                for fmt in FORMATS]
        jobs += [([*fix, "--format", fmt], fmt) for fix in FIX_RUNS for fmt in ("text", "json")]
        for number, (argv, fmt) in enumerate(jobs):
            home = tmp_path / f"{scenario.name}-{number}" / "home"
            stdout, stderr, code = _run_main(scenario, argv, home)
            runs += 1
            label = " ".join(argv)
            assert "internal error" not in stderr, (scenario.name, label, stderr)
            assert code in (0, 1, 2), (scenario.name, label, code, stderr)
            leaks += small_leaks(scenario, label, stdout, stderr, fmt)
    print(f"\nchecked {len(value_scenarios())} value scenarios, {runs} runs; {len(leaks)} leaks")
    assert runs >= 130
    assert not leaks, "\n".join(leaks[:30])


def test_small_fragments_catch_a_real_leak() -> None:
    """The detector works on masked-looking output too: one window is enough."""
    assert any(p in "x = <secret redacted> QzXj" for p in small_fragments(V_SECRET))
    assert not any(p in "AKIA…EY01 <secret redacted> (holds <ZWSP>)"
                   for p in small_fragments(V_SECRET[:11] + "\u200b" + V_SECRET[11:]))


HOOK_PROGRAM = """
import json, sys
import boto3, keydoctor
keydoctor.install()
try:
    boto3.client("sts", region_name="us-east-1").get_caller_identity()
except Exception as exc:
    diagnosis = exc.keydoctor
    print(json.dumps(diagnosis.to_dict(), ensure_ascii=False))
    print(diagnosis.summary())
    print(repr(diagnosis))
"""


def test_no_fragment_of_a_credential_process_stderr(tmp_path: Path) -> None:
    """A credential_process that fails and prints its password (and more) to stderr: the
    online `check` (which runs it through botocore) in every format and the hook's
    ``exc.keydoctor`` never repeat that output. Nothing is sent anywhere: the process
    fails before the first request."""
    helper = tmp_path / "helper.sh"
    helper.write_text(
        "#!/bin/sh\n"
        f'echo "login failed for user x, password was {V_PASSWORD}" >&2\n'
        f'echo "token {V_TOKEN[:20]} rejected" >&2\n'
        "exit 3\n"
    )
    helper.chmod(0o755)
    scenario = Scenario(
        "process-stderr",
        files={"config": f"[default]\nregion = us-east-1\ncredential_process = {helper}\n"
                         .encode()},
        secrets={V_PASSWORD, V_TOKEN[:20]},
    )
    leaks: list[str] = []
    runs = 0
    for fmt in FORMATS:
        env = _prepare(scenario, tmp_path / f"check-{fmt}" / "home")
        proc = subprocess.run(
            [sys.executable, "-m", "keydoctor", "check", "--format", fmt],
            env=env, capture_output=True, text=True, timeout=60,
        )
        runs += 1
        assert proc.returncode in (0, 1), proc.stderr
        assert "custom-process" in proc.stdout  # the failure is reported, its output not
        leaks += small_leaks(scenario, f"check {fmt}", proc.stdout, proc.stderr, fmt)
    env = _prepare(scenario, tmp_path / "hook" / "home")
    proc = subprocess.run([sys.executable, "-c", HOOK_PROGRAM], env=env, capture_output=True,
                          text=True, timeout=60)
    runs += 1
    assert "CredentialRetrievalError" in proc.stdout, proc.stdout + proc.stderr
    leaks += small_leaks(scenario, "exc.keydoctor", proc.stdout, "", "text")
    print(f"\nchecked {runs} runs; {len(leaks)} leaks")
    assert not leaks, "\n".join(leaks)


def test_no_secret_in_fix_previews(tmp_path: Path) -> None:
    """Every scenario of the check audit above, through the `fix` preview (every fix the
    findings call for, and tidy and move-keys by name) in text and JSON."""
    scenarios = fixture_scenarios() + built_scenarios()
    leaks: list[str] = []
    runs = 0
    for scenario in scenarios:
        for number, fix in enumerate(FIX_RUNS):
            for fmt in ("text", "json"):
                argv = [*fix, "--format", fmt, *_profile_args(scenario)]
                home = tmp_path / f"{scenario.name}-fix-{number}-{fmt}" / "home"
                stdout, stderr, code = _run_main(scenario, argv, home)
                runs += 1
                assert "internal error" not in stderr, (scenario.name, argv, stderr)
                if fmt == "json":
                    import json

                    json.loads(stdout)
                leaks += find_leaks(scenario, " ".join(argv), stdout, stderr)
    print(f"\nchecked {len(scenarios)} scenarios through fix, {runs} runs; {len(leaks)} leaks")
    assert not leaks, "\n".join(leaks[:30])


def _profile_args(scenario: Scenario) -> list[str]:
    """`fix` takes --profile but not check's other flags."""
    args = list(scenario.args)
    if "--profile" in args:
        at = args.index("--profile")
        return args[at : at + 2]
    return []
