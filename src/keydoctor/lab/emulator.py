"""Start moto's server on a free loopback port, with IAM authentication enforced.

Used by ``keydoctor lab`` (in-process thread) and by the test suite (a subprocess, so
that the server's global state never mixes with the tests' own). Setup happens with
authentication off; then :meth:`Emulator.enforce_auth` turns it on, after which every
request must be signed by a key that exists in the emulator's IAM, and IAM policies are
evaluated as AWS would (moto's ``reset-auth`` API).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Keys:
    """A key pair created in the emulator (test and lab data only, never real AWS)."""

    user: str
    access_key_id: str
    secret_access_key: str = field(repr=False)


@dataclass
class Emulator:
    """A running moto server and the admin keys that can set up scenarios in it."""

    endpoint: str
    admin: Keys | None = None
    _process: subprocess.Popen[bytes] | None = None
    _thread_server: Any = None
    _clients: dict[str, Any] = field(default_factory=dict)

    # -- life cycle ---------------------------------------------------------------------
    @classmethod
    def start_subprocess(cls, port: int | None = None, timeout: float = 30.0) -> Emulator:
        port = port or free_port()
        cmd = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        process = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_server_env()
        )
        emulator = cls(endpoint=f"http://127.0.0.1:{port}", _process=process)
        emulator._wait_ready(timeout)
        return emulator

    @classmethod
    def start_thread(cls, port: int | None = None) -> Emulator:
        from moto.server import ThreadedMotoServer

        port = port or free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        emulator = cls(endpoint=f"http://127.0.0.1:{port}", _thread_server=server)
        emulator._wait_ready(15.0)
        return emulator

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError("the moto server exited while starting")
            try:
                with urllib.request.urlopen(self.endpoint + "/moto-api/", timeout=1):
                    return
            except urllib.error.HTTPError:
                return  # it answers, that is all we need
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the moto server did not answer on {self.endpoint} in {timeout}s")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None
        if self._thread_server is not None:
            self._thread_server.stop()
            self._thread_server = None

    # -- authentication -----------------------------------------------------------------
    def _post(self, path: str, body: bytes) -> None:
        # moto reads the raw body; a form content type would make Flask swallow it.
        request = urllib.request.Request(
            self.endpoint + path, data=body, method="POST", headers={"Content-Type": "text/plain"}
        )
        with urllib.request.urlopen(request, timeout=10):
            pass

    def disable_auth(self) -> None:
        self._post("/moto-api/reset-auth", str(10**9).encode())

    def enforce_auth(self) -> None:
        """From now on every request is authenticated and authorised by moto's IAM."""
        if self.admin is None:
            self.create_admin()
        self._post("/moto-api/reset-auth", b"0")

    def reset(self) -> None:
        """Forget every resource (the server keeps running)."""
        self._post("/moto-api/reset", b"")
        self.admin = None
        self._clients.clear()

    # -- set-up helpers (boto3 is a lab/test dependency, imported here only) ------------
    def client(self, service: str, keys: Keys | None = None, region: str = "us-east-1") -> Any:
        import boto3

        keys = keys or self.admin
        cache_key = f"{service}:{region}:{keys.access_key_id if keys else 'anon'}"
        if cache_key not in self._clients:
            self._clients[cache_key] = boto3.client(
                service,
                region_name=region,
                endpoint_url=self.endpoint,
                aws_access_key_id=keys.access_key_id if keys else "testing",
                aws_secret_access_key=keys.secret_access_key if keys else "testing",
            )
        return self._clients[cache_key]

    def create_admin(self, name: str = "keydoctor-admin") -> Keys:
        iam = self.client("iam", keys=None)
        iam.create_user(UserName=name)
        iam.put_user_policy(
            UserName=name, PolicyName="admin", PolicyDocument=json.dumps(ADMIN_POLICY)
        )
        created = iam.create_access_key(UserName=name)["AccessKey"]
        self.admin = Keys(name, created["AccessKeyId"], created["SecretAccessKey"])
        return self.admin

    def create_user(self, name: str, policy: dict[str, Any] | None = None) -> Keys:
        iam = self.client("iam")
        iam.create_user(UserName=name)
        if policy is not None:
            iam.put_user_policy(
                UserName=name, PolicyName=f"{name}-policy", PolicyDocument=json.dumps(policy)
            )
        created = iam.create_access_key(UserName=name)["AccessKey"]
        return Keys(name, created["AccessKeyId"], created["SecretAccessKey"])

    def create_bucket(self, name: str, region: str = "us-east-1") -> None:
        s3 = self.client("s3", region=region)
        if region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})


def _server_env() -> dict[str, str]:
    env = dict(os.environ)
    # The server must not pick up the caller's credentials or proxies.
    for name in list(env):
        if name.startswith("AWS_") or name.lower() in ("http_proxy", "https_proxy"):
            env.pop(name)
    env["MOTO_ALLOW_NONEXISTENT_REGION"] = "false"
    return env
