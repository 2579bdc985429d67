"""``keydoctor fix set-region``: the bucket's real region goes into the profile.

Against moto for the whole command; against a tiny loopback server replaying AWS's
documented answers where moto differs: S3 answers a HeadBucket sent to the wrong region
with ``301 Moved Permanently`` and the ``x-amz-bucket-region`` header (moto answers 200),
and GetBucketLocation's ``EU`` means eu-west-1 (a legacy value moto never returns).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from keydoctor.lab.emulator import Emulator
from keydoctor.model import Secret

S3_READER = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation",
                                                "sts:GetCallerIdentity"], "Resource": "*"}],
}


def run_fix(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "keydoctor", "fix", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_set_region_writes_the_bucket_region(moto_server: Emulator,
                                             clean_env: dict[str, str]) -> None:
    bucket = f"b-{uuid.uuid4().hex[:12]}"
    moto_server.create_bucket(bucket, "eu-central-1")
    keys = moto_server.create_user(f"r{uuid.uuid4().hex[:8]}", S3_READER)
    aws = Path(clean_env["HOME"]) / ".aws"
    (aws / "credentials").write_text(f"[data]\naws_access_key_id = {keys.access_key_id}\n"
                                     f"aws_secret_access_key = {keys.secret_access_key}\n")
    config = "# team settings\n[profile data]\nregion = us-east-1\noutput = json\n"
    (aws / "config").write_text(config)
    args = ["set-region", "--profile", "data", "--bucket", bucket,
            "--endpoint-url", moto_server.endpoint]
    proc = run_fix(clean_env, *args)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "-region = us-east-1" in proc.stdout and "+region = eu-central-1" in proc.stdout
    assert (aws / "config").read_text() == config  # the dry run wrote nothing
    proc = run_fix(clean_env, *args, "--apply")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (aws / "config").read_text() == config.replace("us-east-1", "eu-central-1")
    assert keys.secret_access_key not in proc.stdout + proc.stderr
    # Run again: nothing left to do.
    proc = run_fix(clean_env, *args)
    assert "already uses eu-central-1" in proc.stdout


def test_set_region_needs_a_bucket(clean_env: dict[str, str]) -> None:
    proc = run_fix(clean_env, "set-region")
    assert proc.returncode == 2
    assert "--bucket" in proc.stderr and "Traceback" not in proc.stderr


class _Replay(BaseHTTPRequestHandler):
    """Answers as S3 does (recorded shapes from the S3 API reference)."""

    head_status = 301
    head_region: str | None = "eu-central-1"
    location_body = b""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:  # noqa: N802 (http.server's naming)
        self.send_response(self.head_status)
        if self.head_region:
            self.send_header("x-amz-bucket-region", self.head_region)
        self.send_header("x-amz-request-id", "0A49CE4060975EAC")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        body = self.location_body
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def replay() -> Iterator[tuple[str, type[_Replay]]]:
    handler = type("Handler", (_Replay,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


SECRET = Secret("q8Rk2T0xZbW4mN6vYp1LcH9sJ3dF5gA7eU2iO0tQ")


def test_region_from_a_301_redirect(replay: tuple[str, type[_Replay]]) -> None:
    """Recorded: HEAD to the wrong region → 301 with x-amz-bucket-region, empty body."""
    from keydoctor.fixes.region import bucket_region

    endpoint, _ = replay
    assert bucket_region("photos", "AKIAY34FZKBOKMUTVV7A", SECRET,
                         endpoint_url=endpoint) == "eu-central-1"


def test_region_from_legacy_location_constraint(replay: tuple[str, type[_Replay]]) -> None:
    """Recorded: HEAD 403 without the header; GetBucketLocation answers the legacy 'EU'."""
    from keydoctor.fixes.region import bucket_region

    endpoint, handler = replay
    handler.head_status = 403
    handler.head_region = None
    handler.location_body = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint '
        b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/">EU</LocationConstraint>'
    )
    assert bucket_region("old-bucket", "AKIAY34FZKBOKMUTVV7A", SECRET,
                         endpoint_url=endpoint) == "eu-west-1"
    handler.location_body = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint '
        b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>'
    )
    assert bucket_region("old-bucket", "AKIAY34FZKBOKMUTVV7A", SECRET,
                         endpoint_url=endpoint) == "us-east-1"
