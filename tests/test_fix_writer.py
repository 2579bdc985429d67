"""How a fix writes: owner and group kept when root runs it, and a full disk changes nothing.

Ownership needs root (only root can hand a file to another user); the tests skip
otherwise. A full disk is made real with ``RLIMIT_FSIZE`` in the child process (with
SIGXFSZ ignored, a write past the limit fails with EFBIG, as it would with ENOSPC on a
full disk): keydoctor's own code is not touched.
"""

from __future__ import annotations

import os
import resource
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

OWNER = (4321, 4322)  # a user and group that do not have to exist
KEY_ID = "AKIAY34FZKBOKMUTVV7A"
SECRET = "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"
as_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give files away"
)


def run_fix(
    env: dict[str, str], *args: str, file_limit: int | None = None
) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        if file_limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    return subprocess.run(
        [sys.executable, "-m", "keydoctor", "fix", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit,
    )


def aws(env: dict[str, str]) -> Path:
    return Path(env["HOME"]) / ".aws"


def owner(path: Path) -> tuple[int, int]:
    info = path.lstat()
    return info.st_uid, info.st_gid


@as_root
def test_root_keeps_owner_and_group_of_the_file_and_its_backup(clean_env: dict[str, str]) -> None:
    folder = aws(clean_env)
    creds = folder / "credentials"
    creds.write_text(
        f'[default]\r\naws_access_key_id = "{KEY_ID}"\r\naws_secret_access_key = {SECRET}\r\n'
    )
    os.chmod(creds, 0o640)
    for path in (folder, creds):
        os.chown(path, *OWNER)
    proc = run_fix(clean_env, "tidy", "--apply")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert b"\r\n" not in creds.read_bytes()
    assert owner(creds) == OWNER
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600  # tidy's own chmod 600
    [backup] = folder.glob("credentials.keydoctor-*.bak")
    assert owner(backup) == OWNER
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    # The lock file root made is the folder owner's, so their own next fix can take it.
    assert owner(folder / ".keydoctor.lock") == OWNER


@as_root
def test_root_keeps_the_mode_and_gives_new_files_to_the_folder_owner(
    clean_env: dict[str, str],
) -> None:
    folder = aws(clean_env)
    config = folder / "config"
    config.write_text(
        f"[default]\nregion = us-east-1\naws_access_key_id = {KEY_ID}\n"
        f"aws_secret_access_key = {SECRET}\n"
    )
    os.chmod(config, 0o604)
    for path in (folder, config):
        os.chown(path, *OWNER)
    proc = run_fix(clean_env, "move-keys", "--apply")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert SECRET not in config.read_text()
    assert owner(config) == OWNER
    assert stat.S_IMODE(config.stat().st_mode) == 0o604  # move-keys keeps the mode it found
    creds = folder / "credentials"  # created by the fix
    assert SECRET in creds.read_text()
    assert owner(creds) == OWNER
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600


def test_a_full_disk_while_backing_up_changes_nothing(clean_env: dict[str, str]) -> None:
    creds = aws(clean_env) / "credentials"
    original = "".join(
        f'[p{n}]\r\naws_access_key_id = "{KEY_ID}"\r\naws_secret_access_key = {SECRET}\r\n'
        for n in range(100)
    ).encode()
    creds.write_bytes(original)
    os.chmod(creds, 0o600)
    proc = run_fix(clean_env, "tidy", "--apply", file_limit=4096)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    [failure] = [line for line in proc.stdout.splitlines() if "FAILED" in line]
    assert f"could not write {creds}" in failure and "the file was left as it was" in failure
    assert creds.read_bytes() == original
    # No half backup and no temporary file is left behind.
    assert sorted(p.name for p in creds.parent.iterdir()) == [".keydoctor.lock", "credentials"]


def test_a_full_disk_while_writing_keeps_both_files(clean_env: dict[str, str]) -> None:
    """move-keys: the credentials file's backup fits, the grown file does not."""
    folder = aws(clean_env)
    creds, config = folder / "credentials", folder / "config"
    creds_bytes = "".join(
        f"[p{n}]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"
        for n in range(30)
    ).encode()
    config_bytes = "".join(
        f"[profile q{n}]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"
        for n in range(20)
    ).encode()
    creds.write_bytes(creds_bytes)
    config.write_bytes(config_bytes)
    assert len(creds_bytes) < 4096 < len(creds_bytes) + 1200
    proc = run_fix(clean_env, "move-keys", "--apply", file_limit=4096)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "could not write" in proc.stdout and "Traceback" not in proc.stdout + proc.stderr
    assert creds.read_bytes() == creds_bytes
    assert config.read_bytes() == config_bytes
    assert not list(folder.glob("*.tmp")) and not list(folder.glob(".*.tmp"))
