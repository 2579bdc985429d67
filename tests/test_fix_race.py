"""Fixes that cannot race: the lock, the plan hash, and two different fixes run at once.

Every run is the CLI in a subprocess, as a user (or two terminals, or a cron job beside a
user) would run it. Nothing here measures time: the concurrent rounds count outcomes.
"""

from __future__ import annotations

import fcntl
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

DEFAULT_ID = "AKIAY34FZKBOKMUTVV7A"
DEFAULT_SECRET = "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"
OPS_ID = "AKIAZ7QWERTYUIOPAS2D"
OPS_SECRET = "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"
# tidy cleans both files (CRLF, quotes, trailing blanks); move-keys moves [profile ops]'s
# keys from the config file to the credentials file. Both touch both files.
CONFIG = (
    "[default]\r\nregion = us-east-1  \r\n\r\n"
    "[profile ops]\r\nregion = eu-west-1\r\n"
    f"aws_access_key_id = {OPS_ID}\r\naws_secret_access_key = {OPS_SECRET}\r\n"
)
CREDENTIALS = (
    f'[default]\r\naws_access_key_id = "{DEFAULT_ID}"\r\n'
    f"aws_secret_access_key = {DEFAULT_SECRET} \r\n"
)
REFUSED = ("another keydoctor fix is changing", "changed after the fix was planned")
ROUNDS = 100


def start_fix(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "keydoctor", "fix", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_fix(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "keydoctor", "fix", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def install(env: dict[str, str]) -> tuple[Path, Path]:
    aws = Path(env["HOME"]) / ".aws"
    aws.mkdir(parents=True, exist_ok=True)
    (aws / "config").write_bytes(CONFIG.encode())
    (aws / "credentials").write_bytes(CREDENTIALS.encode())
    return aws / "config", aws / "credentials"


def profile_key(env: dict[str, str], profile: str) -> tuple[str, str] | None:
    """The key a profile yields from disk as botocore reads it, without the quotes and
    blanks tidy removes (a fix that did not run is not a key lost)."""
    from keydoctor.fixes.tidy import clean_value
    from keydoctor.sources.chain import gather, resolve

    winner = resolve(gather(env, profile)).winner
    if winner is None or not winner.access_key_id or winner.secret_access_key is None:
        return None
    return (
        clean_value("aws_access_key_id", winner.access_key_id),
        clean_value("aws_secret_access_key", winner.secret_access_key.reveal()),
    )


def verdict(name: str, proc: subprocess.Popen[str], out: str, err: str) -> str:
    """``applied`` or ``refused`` when the fix said so honestly; anything else is a defect."""
    if proc.returncode == 0 and f"{name}: applied" in out:
        return "applied"
    if proc.returncode == 2 and any(reason in out + err for reason in REFUSED):
        return "refused"
    return f"unclear (exit {proc.returncode}): {(out + err).strip()[-300:]}"


def one_round(env: dict[str, str]) -> dict[str, str]:
    """Run tidy and move-keys at once on fresh files; say what each reported and whether
    the files hold what the reports claim."""
    config, credentials = install(env)
    tidy = start_fix(env, "tidy", "--apply")
    move = start_fix(env, "move-keys", "--apply")
    tidy_out, tidy_err = tidy.communicate(timeout=180)
    move_out, move_err = move.communicate(timeout=180)
    result = {
        "tidy": verdict("tidy", tidy, tidy_out, tidy_err),
        "move": verdict("move-keys", move, move_out, move_err),
    }
    config_text = config.read_bytes().decode()
    creds_text = credentials.read_bytes().decode()
    problems: list[str] = []
    # Nothing lost: both profiles still yield their own key from the live files.
    if profile_key(env, "default") != (DEFAULT_ID, DEFAULT_SECRET):
        problems.append("default's key is gone or changed")
    if profile_key(env, "ops") != (OPS_ID, OPS_SECRET):
        problems.append("ops's key is gone or changed")
    # Honest: what a fix reported as applied is in the final files.
    if result["tidy"] == "applied" and (
        "\r" in config_text + creds_text or '"' in creds_text or "  \n" in config_text
    ):
        problems.append("tidy said applied, but its change is not in the files")
    if result["move"] == "applied" and (
        OPS_SECRET in config_text or not re.search(rf"\[ops\]\r?\n(.*\n)*.*{OPS_ID}", creds_text)
    ):
        problems.append("move-keys said applied, but the keys did not move")
    result["files"] = "; ".join(problems) or "ok"
    return result


@pytest.mark.parametrize(
    ("wait", "rounds"),
    [("30", ROUNDS), ("0", 30)],
    ids=["lock-wait-30s", "no-lock-wait"],
)
def test_two_different_fixes_at_once_lose_nothing_and_report_honestly(
    wait: str, rounds: int, clean_env: dict[str, str], tmp_path: Path
) -> None:
    """With the default wait the two fixes take turns; with no wait the one that finds the
    lock taken refuses, and says so. Either way nothing is lost and no report lies."""
    tally: Counter[str] = Counter()
    defects: list[str] = []
    for number in range(rounds):
        env = dict(clean_env, HOME=str(tmp_path / f"round{number}"), KEYDOCTOR_LOCK_WAIT=wait)
        result = one_round(env)
        tally[f"tidy {result['tidy']}"] += 1
        tally[f"move-keys {result['move']}"] += 1
        tally["rounds"] += 1
        if result["files"] != "ok" or "unclear" in result["tidy"] + result["move"]:
            defects.append(f"round {number}: {result}")
    print(json.dumps(tally, indent=1))  # the counts, for the record (pytest -s shows them)
    assert tally["rounds"] == rounds
    assert defects == []
    assert tally["tidy applied"] + tally["tidy refused"] == rounds
    assert tally["move-keys applied"] + tally["move-keys refused"] == rounds


def test_a_held_lock_makes_a_fix_wait_then_refuse_in_one_line(clean_env: dict[str, str]) -> None:
    config, credentials = install(clean_env)
    lock = Path(clean_env["HOME"]) / ".aws" / ".keydoctor.lock"
    with open(lock, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        proc = run_fix(dict(clean_env, KEYDOCTOR_LOCK_WAIT="0.5"), "tidy", "--apply")
    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    assert "another keydoctor fix is changing the files in" in line
    assert "nothing was changed" in line
    assert config.read_bytes() == CONFIG.encode()
    assert credentials.read_bytes() == CREDENTIALS.encode()
    # Once the lock is free, the same command applies.
    proc = run_fix(clean_env, "tidy", "--apply")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert b"\r\n" not in credentials.read_bytes()


def plan_hash_of(proc: subprocess.CompletedProcess[str]) -> str:
    match = re.search(r"Plan hash: ([0-9a-f]{12})\b", proc.stdout)
    assert match, proc.stdout
    return match.group(1)


def test_apply_with_the_previewed_plan_applies_it(clean_env: dict[str, str]) -> None:
    config, credentials = install(clean_env)
    preview = run_fix(clean_env, "move-keys")
    assert preview.returncode == 1
    digest = plan_hash_of(preview)
    # The same plan gives the same hash, and the hash shows no secret.
    assert plan_hash_of(run_fix(clean_env, "move-keys")) == digest
    assert OPS_SECRET not in preview.stdout
    proc = run_fix(clean_env, "move-keys", "--apply", "--plan", digest)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert OPS_SECRET in credentials.read_text() and OPS_SECRET not in config.read_text()


def test_apply_with_a_stale_plan_changes_nothing(clean_env: dict[str, str]) -> None:
    config, credentials = install(clean_env)
    digest = plan_hash_of(run_fix(clean_env, "tidy"))
    # Someone edits the file after the preview: the plan to apply is no longer the one seen.
    edited = CONFIG.replace("eu-west-1", "eu-central-1").encode()
    config.write_bytes(edited)
    proc = run_fix(clean_env, "tidy", "--apply", "--plan", digest)
    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    assert f"not {digest}" in line and "nothing was changed" in line
    assert config.read_bytes() == edited
    assert credentials.read_bytes() == CREDENTIALS.encode()
    assert not list(config.parent.glob("*.bak"))


def test_plan_hash_in_json_and_plan_needs_apply(clean_env: dict[str, str]) -> None:
    install(clean_env)
    text = run_fix(clean_env, "tidy")
    document = json.loads(run_fix(clean_env, "tidy", "--format", "json").stdout)
    assert document["plan_hash"] == plan_hash_of(text)
    proc = run_fix(clean_env, "tidy", "--plan", document["plan_hash"])
    assert proc.returncode == 2
    assert "--plan HASH goes with --apply" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_nothing_to_fix_has_no_plan_hash(clean_env: dict[str, str]) -> None:
    proc = run_fix(clean_env, "tidy")
    assert proc.returncode == 0
    assert "Plan hash" not in proc.stdout


def test_a_file_created_meanwhile_is_not_overwritten(clean_env: dict[str, str]) -> None:
    """move-keys planned to create the credentials file; someone created it first."""
    from keydoctor.fixes import apply_plans, plan_fixes

    aws = Path(clean_env["HOME"]) / ".aws"
    (aws / "config").write_text(
        f"[default]\naws_access_key_id = {OPS_ID}\naws_secret_access_key = {OPS_SECRET}\n"
    )
    plans = plan_fixes(["move-keys"], environ=clean_env)
    theirs = f"[default]\naws_access_key_id = {DEFAULT_ID}\n"
    (aws / "credentials").write_text(theirs)
    [outcome] = apply_plans(plans, allow_unsafe=False)
    assert not outcome.applied and outcome.error is not None
    assert "nothing was written" in outcome.error
    assert (aws / "credentials").read_text() == theirs
    assert OPS_SECRET in (aws / "config").read_text()


def test_exclusive_write_never_replaces_a_file(tmp_path: Path) -> None:
    """The last guard for a file planned as new: it is linked into place, not renamed."""
    from keydoctor.fixes import atomic

    target = tmp_path / "credentials"
    target.write_text("theirs\n")
    with pytest.raises(FileExistsError):
        atomic.write_atomic(str(target), b"ours\n", 0o600, exclusive=True)
    assert target.read_text() == "theirs\n"
    assert [p.name for p in tmp_path.iterdir()] == ["credentials"]  # no temporary file left
    atomic.write_atomic(str(tmp_path / "new"), b"ours\n", 0o600, exclusive=True)
    assert (tmp_path / "new").read_text() == "ours\n"


def test_a_plan_value_that_is_no_hash_is_refused_without_being_echoed(
    clean_env: dict[str, str],
) -> None:
    config, credentials = install(clean_env)
    proc = run_fix(clean_env, "tidy", "--apply", "--plan", OPS_SECRET)
    assert proc.returncode == 2
    assert "12-hex-digit plan hash" in proc.stderr
    assert OPS_SECRET not in proc.stdout + proc.stderr
    assert credentials.read_bytes() == CREDENTIALS.encode()
