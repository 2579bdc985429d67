"""``fix rotate-key --logs``: a key that the logs show in use from another host is not
deactivated without ``--force``, and that host is named. Against the moto server, with a
CloudTrail tree written for the user's real key id."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from keydoctor.lab.emulator import Emulator
from keydoctor.redact import mask_key_id
from test_fix_rotate import keys_of, new_user, run_fix, write_creds

OTHER_HOST = "203.0.113.77"


def trail(root: Path, key_id: str, ip: str, days_ago: int) -> Path:
    when = datetime.now(UTC) - timedelta(days=days_ago)
    folder = root / "AWSLogs" / "o-test" / "111122223333" / "CloudTrail" / "us-east-1"
    folder = folder / f"{when:%Y}" / f"{when:%m}" / f"{when:%d}"
    folder.mkdir(parents=True, exist_ok=True)
    record = {
        "eventVersion": "1.09",
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": "us-east-1",
        "sourceIPAddress": ip,
        "userAgent": "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0",
        "userIdentity": {"type": "IAMUser", "accessKeyId": key_id, "userName": "u"},
        "recipientAccountId": "111122223333",
    }
    name = f"111122223333_CloudTrail_us-east-1_{when:%Y%m%dT%H%MZ}_{ip.replace('.', '')}.json.gz"
    with gzip.open(folder / name, "wt") as handle:
        json.dump({"Records": [record] * 3}, handle)
    return root


def test_refuses_a_key_used_elsewhere_and_names_the_host(
    moto_server: Emulator, clean_env: dict[str, str], tmp_path: Path
) -> None:
    keys = new_user(moto_server)
    write_creds(clean_env, keys)
    logs = trail(tmp_path / "logs", keys.access_key_id, OTHER_HOST, days_ago=2)
    proc = run_fix(clean_env, moto_server, "--logs", str(logs), "--apply", "--unsafe")
    # A plan that cannot run as planned: exit 2, as for every blocked fix under --apply.
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "cannot run: the logs show" in proc.stdout
    assert OTHER_HOST in proc.stdout and "AWS CLI, 3 requests" in proc.stdout
    assert mask_key_id(keys.access_key_id) in proc.stdout and "--force" in proc.stdout
    assert keys.access_key_id not in proc.stdout
    # Nothing happened in IAM: still one active key.
    assert keys_of(moto_server, keys.user) == {keys.access_key_id: "Active"}


def test_force_rotates_and_says_who_was_seen(
    moto_server: Emulator, clean_env: dict[str, str], tmp_path: Path
) -> None:
    keys = new_user(moto_server)
    write_creds(clean_env, keys)
    logs = trail(tmp_path / "logs", keys.access_key_id, OTHER_HOST, days_ago=2)
    proc = run_fix(clean_env, moto_server, "--logs", str(logs), "--force", "--apply", "--unsafe")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert OTHER_HOST in proc.stdout and "rotating anyway" in proc.stdout
    assert sorted(keys_of(moto_server, keys.user).values()) == ["Active", "Inactive"]


def test_old_use_this_host_and_other_keys_do_not_block(
    moto_server: Emulator, clean_env: dict[str, str], tmp_path: Path
) -> None:
    keys = new_user(moto_server)
    write_creds(clean_env, keys)
    logs = tmp_path / "logs"
    trail(logs, keys.access_key_id, OTHER_HOST, days_ago=40)  # older than --logs-days
    trail(logs, keys.access_key_id, "198.51.100.5", days_ago=1)  # this machine behind NAT
    trail(logs, "AKIAZZZZZZZZZZZZZZZZ", "192.0.2.50", days_ago=1)  # another key
    preview = run_fix(clean_env, moto_server, "--logs", str(logs), "--this-host", "198.51.100.5")
    assert preview.returncode == 1, preview.stdout + preview.stderr
    assert "no host but this one" in preview.stdout
    assert "cannot run" not in preview.stdout and OTHER_HOST not in preview.stdout
    assert "192.0.2.50" not in preview.stdout
    longer = run_fix(clean_env, moto_server, "--logs", str(logs), "--logs-days", "60")
    assert "cannot run: the logs show" in longer.stdout
    assert OTHER_HOST in longer.stdout and "198.51.100.5" in longer.stdout


def test_logs_flag_needs_rotate_key(clean_env: dict[str, str], tmp_path: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "keydoctor", "fix", "tidy", "--logs", str(tmp_path)],
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "--logs goes with rotate-key" in proc.stderr
