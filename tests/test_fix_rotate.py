"""``keydoctor fix rotate-key`` against the moto server (IAM authentication enforced).

Every test makes its own IAM user whose policy lets it manage its own keys, writes that
user's key into a fresh HOME, and runs the CLI as a user would. The admin client checks
the outcome in IAM. moto accepts requests signed with an Inactive key (AWS refuses them),
so "the old key is inactive" is checked through iam:ListAccessKeys, not by signing.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from keydoctor.lab.emulator import Emulator, Keys

SELF_ROTATION = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "iam:CreateAccessKey",
                "iam:ListAccessKeys",
                "iam:UpdateAccessKey",
                "iam:DeleteAccessKey",
                "sts:GetCallerIdentity",
            ],
            "Resource": "*",
        }
    ],
}
COMMENTED = (
    "# personal keys\n"
    "[other]\n"
    "aws_access_key_id = AKIAY34FZKBOKMUTVV7A\n"
    "aws_secret_access_key = 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\n"
    "\n"
    "[default]\n"
    "aws_access_key_id = {key_id}\n"
    "aws_secret_access_key = {secret}\n"
    "# keep this comment\n"
)


def new_user(moto: Emulator, policy: dict[str, Any] | None = None) -> Keys:
    return moto.create_user(f"u{uuid.uuid4().hex[:10]}", policy or SELF_ROTATION)


def keys_of(moto: Emulator, user: str) -> dict[str, str]:
    listed = moto.client("iam").list_access_keys(UserName=user)["AccessKeyMetadata"]
    return {k["AccessKeyId"]: k["Status"] for k in listed}


def run_fix(
    env: dict[str, str], moto: Emulator, *args: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full = dict(env)
    full["KEYDOCTOR_VERIFY_SECONDS"] = "3"
    full.update(extra_env or {})
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "keydoctor",
            "fix",
            "rotate-key",
            "--endpoint-url",
            moto.endpoint,
            *args,
        ],
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


def creds_path(env: dict[str, str]) -> Path:
    return Path(env["HOME"]) / ".aws" / "credentials"


def write_creds(env: dict[str, str], keys: Keys, mode: int = 0o600) -> bytes:
    path = creds_path(env)
    path.write_text(COMMENTED.format(key_id=keys.access_key_id, secret=keys.secret_access_key))
    os.chmod(path, mode)
    return path.read_bytes()


def file_key(env: dict[str, str], profile: str = "default") -> tuple[str, str]:
    """The key the SDK would use for the profile, read from disk as botocore reads it."""
    from keydoctor.sources.chain import gather, resolve

    winner = resolve(gather(env, profile)).winner
    assert winner is not None and winner.access_key_id and winner.secret_access_key
    return winner.access_key_id, winner.secret_access_key.reveal()


def key_works(moto: Emulator, user: str, key_id: str, secret: str) -> bool:
    """The key signs an STS call as the user, and IAM lists it as Active."""
    import boto3

    sts = boto3.client(
        "sts",
        region_name="us-east-1",
        endpoint_url=moto.endpoint,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
    )
    try:
        arn = sts.get_caller_identity()["Arn"]
    except Exception:
        return False
    return arn.endswith(f":user/{user}") and keys_of(moto, user).get(key_id) == "Active"


def backups(env: dict[str, str]) -> list[Path]:
    return sorted(creds_path(env).parent.glob("credentials.keydoctor-*.bak"))


def assert_no_secret(proc: subprocess.CompletedProcess[str], *secrets: str) -> None:
    for secret in secrets:
        assert secret not in proc.stdout
        assert secret not in proc.stderr


def test_rotation_end_to_end(moto_server: Emulator, clean_env: dict[str, str]) -> None:
    keys = new_user(moto_server)
    original = write_creds(clean_env, keys, mode=0o640)
    proc = run_fix(clean_env, moto_server, "--apply", "--unsafe")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    new_id, new_secret = file_key(clean_env)
    assert new_id != keys.access_key_id
    # The new key works; the old one is inactive, not deleted.
    assert key_works(moto_server, keys.user, new_id, new_secret)
    assert keys_of(moto_server, keys.user) == {keys.access_key_id: "Inactive", new_id: "Active"}
    # The file holds only the new key; every other byte and the mode are as they were.
    text = creds_path(clean_env).read_text()
    assert keys.access_key_id not in text and keys.secret_access_key not in text
    assert text == original.decode().replace(keys.access_key_id, new_id).replace(
        keys.secret_access_key, new_secret
    )
    assert stat.S_IMODE(creds_path(clean_env).stat().st_mode) == 0o640
    # The backup holds the old key, readable only by its owner.
    [backup] = backups(clean_env)
    assert backup.read_bytes() == original
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    # Neither secret is ever printed.
    assert_no_secret(proc, new_secret, keys.secret_access_key)
    assert new_id not in proc.stdout  # key ids are masked
    assert "rotate-key: applied" in proc.stdout


def test_rotation_with_delete_old(moto_server: Emulator, clean_env: dict[str, str]) -> None:
    keys = new_user(moto_server)
    write_creds(clean_env, keys)
    proc = run_fix(clean_env, moto_server, "--apply", "--unsafe", "--delete-old")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    new_id, new_secret = file_key(clean_env)
    assert keys_of(moto_server, keys.user) == {new_id: "Active"}
    assert key_works(moto_server, keys.user, new_id, new_secret)
    assert_no_secret(proc, new_secret, keys.secret_access_key)


def test_dry_run_changes_nothing(moto_server: Emulator, clean_env: dict[str, str]) -> None:
    keys = new_user(moto_server)
    original = write_creds(clean_env, keys, mode=0o644)
    proc = run_fix(clean_env, moto_server)
    assert proc.returncode == 1
    assert "iam:CreateAccessKey" in proc.stdout and "iam:UpdateAccessKey" in proc.stdout
    assert "<new secret access key>" in proc.stdout
    assert creds_path(clean_env).read_bytes() == original
    assert stat.S_IMODE(creds_path(clean_env).stat().st_mode) == 0o644
    assert backups(clean_env) == []
    assert keys_of(moto_server, keys.user) == {keys.access_key_id: "Active"}
    # --apply without --unsafe does not rotate either: rotation is unsafe.
    proc = run_fix(clean_env, moto_server, "--apply")
    assert "skipped" in proc.stdout
    assert creds_path(clean_env).read_bytes() == original
    assert keys_of(moto_server, keys.user) == {keys.access_key_id: "Active"}


@pytest.mark.parametrize("step", [1, 2, 3, 4])
def test_failure_after_each_step_rolls_back(
    step: int, moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    keys = new_user(moto_server)
    original = write_creds(clean_env, keys)
    proc = run_fix(
        clean_env,
        moto_server,
        "--apply",
        "--unsafe",
        extra_env={"KEYDOCTOR_FAULT_AFTER_STEP": str(step)},
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "failure injected" in proc.stdout and "undone" in proc.stdout
    # Everything is as before: the file, the old key active, the new key gone.
    assert creds_path(clean_env).read_bytes() == original
    assert keys_of(moto_server, keys.user) == {keys.access_key_id: "Active"}
    assert key_works(moto_server, keys.user, *file_key(clean_env))
    assert_no_secret(proc, keys.secret_access_key)
    assert "could not undo" not in proc.stdout


def test_failure_after_the_irreversible_step_keeps_the_new_key(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    keys = new_user(moto_server)
    write_creds(clean_env, keys)
    proc = run_fix(
        clean_env,
        moto_server,
        "--apply",
        "--unsafe",
        "--delete-old",
        extra_env={"KEYDOCTOR_FAULT_AFTER_STEP": "5"},
    )
    # The old key is deleted: going back would leave a dead key in the file, so nothing
    # is undone and the new key stays in place.
    new_id, new_secret = file_key(clean_env)
    assert keys_of(moto_server, keys.user) == {new_id: "Active"}
    assert key_works(moto_server, keys.user, new_id, new_secret)
    assert proc.returncode == 2
    assert "applied, then failed: InjectedFault: failure injected after step 5" in proc.stdout
    assert "nothing was undone" in proc.stdout


@pytest.mark.parametrize("step", [1, 2, 3, 4, 5])
def test_killed_after_each_step_leaves_a_working_key(
    step: int, moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    keys = new_user(moto_server)
    original = write_creds(clean_env, keys)
    proc = run_fix(
        clean_env,
        moto_server,
        "--apply",
        "--unsafe",
        "--delete-old",
        extra_env={"KEYDOCTOR_KILL_AFTER_STEP": str(step)},
    )
    assert proc.returncode == -9, proc.stdout + proc.stderr
    # Whatever instant the process died at, the file names a key that works ...
    assert key_works(moto_server, keys.user, *file_key(clean_env))
    # ... and the original file is recoverable, in place or from its backup.
    current = creds_path(clean_env).read_bytes()
    assert current == original or any(b.read_bytes() == original for b in backups(clean_env))
    assert not list(creds_path(clean_env).parent.glob("*.tmp"))


def test_real_failure_rolls_back(moto_server: Emulator, clean_env: dict[str, str]) -> None:
    """The user may create keys but not deactivate them: step 4 fails for real."""
    policy = json.loads(json.dumps(SELF_ROTATION))
    policy["Statement"][0]["Action"].remove("iam:UpdateAccessKey")
    keys = new_user(moto_server, policy)
    original = write_creds(clean_env, keys)
    proc = run_fix(clean_env, moto_server, "--apply", "--unsafe")
    assert proc.returncode == 2
    assert "AccessDenied" in proc.stdout
    assert creds_path(clean_env).read_bytes() == original
    assert keys_of(moto_server, keys.user) == {keys.access_key_id: "Active"}


def test_two_key_limit_names_the_key_and_picks_none(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    keys = new_user(moto_server)
    second = moto_server.client("iam").create_access_key(UserName=keys.user)["AccessKey"]
    moto_server.client("iam").update_access_key(
        UserName=keys.user, AccessKeyId=second["AccessKeyId"], Status="Inactive"
    )
    original = write_creds(clean_env, keys)
    proc = run_fix(clean_env, moto_server, "--apply", "--unsafe")
    assert proc.returncode == 2
    other = second["AccessKeyId"]
    assert f"{other[:4]}…{other[-4:]} (Inactive" in proc.stdout
    assert "will not choose" in proc.stdout
    assert creds_path(clean_env).read_bytes() == original
    assert set(keys_of(moto_server, keys.user)) == {keys.access_key_id, other}


def test_key_in_config_file_is_rotated_there(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    keys = new_user(moto_server)
    config = Path(clean_env["HOME"]) / ".aws" / "config"
    config.write_text(
        f"[profile ops]\nregion = eu-west-1\naws_access_key_id = "
        f"{keys.access_key_id}\naws_secret_access_key = {keys.secret_access_key}\n"
    )
    proc = run_fix(clean_env, moto_server, "--profile", "ops", "--apply", "--unsafe")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    new_id, new_secret = file_key(clean_env, "ops")
    assert config.read_text() == (
        f"[profile ops]\nregion = eu-west-1\naws_access_key_id = "
        f"{new_id}\naws_secret_access_key = {new_secret}\n"
    )
    assert not creds_path(clean_env).exists()
    assert keys_of(moto_server, keys.user)[keys.access_key_id] == "Inactive"


def test_keys_in_environment_are_not_rewritten(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    keys = new_user(moto_server)
    env = dict(
        clean_env,
        AWS_ACCESS_KEY_ID=keys.access_key_id,
        AWS_SECRET_ACCESS_KEY=keys.secret_access_key,
    )
    proc = run_fix(env, moto_server, "--apply", "--unsafe")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "does not rewrite" in proc.stdout and "AWS_SECRET_ACCESS_KEY" in proc.stdout
    [handoff] = (Path(env["HOME"]) / ".aws").glob("keydoctor-new-key-*.env")
    assert stat.S_IMODE(handoff.stat().st_mode) == 0o600
    values = dict(
        line.split("=", 1)
        for line in handoff.read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert key_works(
        moto_server, keys.user, values["AWS_ACCESS_KEY_ID"], values["AWS_SECRET_ACCESS_KEY"]
    )
    # The old key keeps working until the user has switched over.
    assert keys_of(moto_server, keys.user)[keys.access_key_id] == "Active"
    assert_no_secret(proc, values["AWS_SECRET_ACCESS_KEY"], keys.secret_access_key)


def test_dead_key_is_refused(moto_server: Emulator, clean_env: dict[str, str]) -> None:
    keys = Keys("nobody", "AKIAY34FZKBOKMUTVV7Q", "q8Rk2T0xZbW4mN6vYp1LcH9sJ3dF5gA7eU2iO0tQ")
    original = write_creds(clean_env, keys)
    proc = run_fix(clean_env, moto_server, "--apply", "--unsafe")
    assert proc.returncode == 2
    assert "does not work" in proc.stdout
    assert creds_path(clean_env).read_bytes() == original


def _no_list_policy() -> dict[str, Any]:
    policy = json.loads(json.dumps(SELF_ROTATION))
    policy["Statement"][0]["Action"].remove("iam:ListAccessKeys")
    return policy


def test_rotation_without_list_permission(moto_server: Emulator, clean_env: dict[str, str]) -> None:
    keys = new_user(moto_server, _no_list_policy())
    write_creds(clean_env, keys)
    proc = run_fix(clean_env, moto_server, "--apply", "--unsafe")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "iam:ListAccessKeys denied" in proc.stdout
    new_id, new_secret = file_key(clean_env)
    assert key_works(moto_server, keys.user, new_id, new_secret)


def test_two_key_limit_found_by_iam_itself(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    """Without iam:ListAccessKeys the limit shows at CreateAccessKey; nothing changes."""
    keys = new_user(moto_server, _no_list_policy())
    moto_server.client("iam").create_access_key(UserName=keys.user)
    original = write_creds(clean_env, keys)
    before = keys_of(moto_server, keys.user)
    proc = run_fix(clean_env, moto_server, "--apply", "--unsafe")
    assert proc.returncode == 2
    assert "already has two access keys" in proc.stdout
    assert "will not choose" in proc.stdout
    assert creds_path(clean_env).read_bytes() == original
    assert keys_of(moto_server, keys.user) == before


def test_json_output_of_a_rotation_holds_no_secret(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    keys = new_user(moto_server)
    write_creds(clean_env, keys)
    proc = run_fix(clean_env, moto_server, "--apply", "--unsafe", "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    document = json.loads(proc.stdout)
    [outcome] = document["outcomes"]
    assert outcome["applied"] is True and outcome["error"] is None
    new_id, new_secret = file_key(clean_env)
    assert_no_secret(proc, new_secret, keys.secret_access_key, new_id, keys.access_key_id)
    assert f"{new_id[:4]}…{new_id[-4:]}" in proc.stdout


def test_rotation_of_a_quoted_padded_key(moto_server: Emulator, clean_env: dict[str, str]) -> None:
    """The stored key has quotes and a zero-width space: it is rotated, and written clean."""
    keys = new_user(moto_server)
    creds_path(clean_env).write_text(
        f'[default]\naws_access_key_id = "{keys.access_key_id}"\n'
        f"aws_secret_access_key = {keys.secret_access_key}\u200b\n"
    )
    proc = run_fix(clean_env, moto_server, "--apply", "--unsafe")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    new_id, new_secret = file_key(clean_env)
    assert creds_path(clean_env).read_text() == (
        f"[default]\naws_access_key_id = {new_id}\naws_secret_access_key = {new_secret}\n"
    )
    assert keys_of(moto_server, keys.user)[keys.access_key_id] == "Inactive"


def journals(env: dict[str, str]) -> list[Path]:
    return sorted((Path(env["HOME"]) / ".aws").glob(".keydoctor-rotation-*.json"))


@pytest.mark.parametrize("step", [1, 2, 3, 4, 5])
def test_killed_rotation_is_finished_by_the_next_run(
    step: int, moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    keys = new_user(moto_server)
    write_creds(clean_env, keys)
    proc = run_fix(
        clean_env,
        moto_server,
        "--apply",
        "--unsafe",
        "--delete-old",
        extra_env={"KEYDOCTOR_KILL_AFTER_STEP": str(step)},
    )
    assert proc.returncode == -9
    # The new key exists from step 1 on; its secret is kept in a private journal.
    [journal] = journals(clean_env)
    assert stat.S_IMODE(journal.stat().st_mode) == 0o600
    created = set(keys_of(moto_server, keys.user)) - {keys.access_key_id}
    proc = run_fix(clean_env, moto_server, "--apply", "--unsafe", "--delete-old")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    if step < 5:
        assert "resume the rotation interrupted" in proc.stdout
    # One key is left, the one made by the killed run (no orphan, no second new key) ...
    new_id, new_secret = file_key(clean_env)
    assert keys_of(moto_server, keys.user) == {new_id: "Active"}
    assert {new_id} == created
    assert key_works(moto_server, keys.user, new_id, new_secret)
    # ... the journal is gone, and no secret was printed by either run.
    assert journals(clean_env) == []
    assert_no_secret(proc, new_secret, keys.secret_access_key)
    assert new_id not in proc.stdout


def test_a_resumed_rotation_that_fails_deletes_the_orphan(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    keys = new_user(moto_server)
    original = write_creds(clean_env, keys)
    proc = run_fix(
        clean_env, moto_server, "--apply", "--unsafe", extra_env={"KEYDOCTOR_KILL_AFTER_STEP": "1"}
    )
    assert proc.returncode == -9
    assert len(keys_of(moto_server, keys.user)) == 2  # the orphan
    # The next run takes the key up, writes it, then fails: everything goes back.
    proc = run_fix(
        clean_env, moto_server, "--apply", "--unsafe", extra_env={"KEYDOCTOR_FAULT_AFTER_STEP": "2"}
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "rolled back the interrupted rotation" in proc.stdout
    assert creds_path(clean_env).read_bytes() == original
    assert keys_of(moto_server, keys.user) == {keys.access_key_id: "Active"}
    assert journals(clean_env) == []
    assert_no_secret(proc, keys.secret_access_key)


@pytest.mark.parametrize("content", ["not json", '{"version": 1}'])
def test_a_journal_keydoctor_cannot_place_blocks_the_rotation(
    content: str, moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    from keydoctor.fixes.journal import journal_path

    keys = new_user(moto_server)
    original = write_creds(clean_env, keys)
    journal = Path(journal_path(str(creds_path(clean_env).parent), "default"))
    journal.write_text(content)
    proc = run_fix(clean_env, moto_server, "--apply", "--unsafe")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "will not guess" in proc.stdout and str(journal) in proc.stdout
    assert creds_path(clean_env).read_bytes() == original
    assert keys_of(moto_server, keys.user) == {keys.access_key_id: "Active"}
    assert journal.read_text() == content


def test_a_rotation_applies_the_plan_previewed_by_its_hash(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    import re

    keys = new_user(moto_server)
    write_creds(clean_env, keys)
    previews = [run_fix(clean_env, moto_server) for _ in range(2)]
    digests = {re.search(r"Plan hash: ([0-9a-f]{12})", p.stdout).group(1) for p in previews}  # type: ignore[union-attr]
    assert len(digests) == 1  # the same setup plans the same rotation
    [digest] = digests
    # A different rotation (one that also deletes the old key) is not that plan.
    proc = run_fix(clean_env, moto_server, "--apply", "--unsafe", "--delete-old", "--plan", digest)
    assert proc.returncode == 2 and "nothing was changed" in proc.stderr
    assert keys_of(moto_server, keys.user) == {keys.access_key_id: "Active"}
    proc = run_fix(clean_env, moto_server, "--apply", "--unsafe", "--plan", digest)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    new_id, new_secret = file_key(clean_env)
    assert keys_of(moto_server, keys.user) == {keys.access_key_id: "Inactive", new_id: "Active"}
    assert_no_secret(proc, new_secret, keys.secret_access_key)


def test_rollback_deletes_the_key_of_an_interrupted_rotation(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    keys = new_user(moto_server)
    original = write_creds(clean_env, keys)
    proc = run_fix(
        clean_env, moto_server, "--apply", "--unsafe", extra_env={"KEYDOCTOR_KILL_AFTER_STEP": "1"}
    )
    assert proc.returncode == -9 and len(keys_of(moto_server, keys.user)) == 2
    preview = run_fix(clean_env, moto_server, "--rollback")
    assert preview.returncode == 1 and "iam:DeleteAccessKey" in preview.stdout
    proc = run_fix(clean_env, moto_server, "--rollback", "--apply", "--unsafe")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert keys_of(moto_server, keys.user) == {keys.access_key_id: "Active"}
    assert creds_path(clean_env).read_bytes() == original
    assert journals(clean_env) == []
    assert_no_secret(proc, keys.secret_access_key)
    # Nothing left to roll back: said in one line, nothing changes.
    proc = run_fix(clean_env, moto_server, "--rollback", "--apply", "--unsafe")
    assert proc.returncode == 2 and "no interrupted rotation of profile default" in proc.stdout


def test_rollback_is_refused_once_the_profile_uses_the_new_key(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    keys = new_user(moto_server)
    write_creds(clean_env, keys)
    proc = run_fix(
        clean_env, moto_server, "--apply", "--unsafe", extra_env={"KEYDOCTOR_KILL_AFTER_STEP": "2"}
    )
    assert proc.returncode == -9
    before = keys_of(moto_server, keys.user)
    proc = run_fix(clean_env, moto_server, "--rollback", "--apply", "--unsafe")
    assert proc.returncode == 2 and "finish it instead" in proc.stdout
    assert keys_of(moto_server, keys.user) == before
    assert len(journals(clean_env)) == 1
