"""Loopback stand-ins for the two metadata services botocore asks for credentials.

The container credentials endpoint (ECS task roles, EKS Pod Identity) and EC2's instance
metadata service (IMDSv2) cannot be reached from a laptop or a test machine, and moto does
not serve them. These small HTTP servers behave as AWS documents them, so the lab's
provider scenarios and the provider probes' tests run against real HTTP exchanges rather
than against our own code (one implementation for both):

* :class:`ContainerEndpoint`: ``GET <path>`` with the ``Authorization`` header set to the
  authorisation token answers the credentials JSON (``AccessKeyId``, ``SecretAccessKey``,
  ``Token``, ``Expiration``, ``RoleArn``); a missing or wrong token gets 401, as the EKS
  Pod Identity agent answers.
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html)
* :class:`InstanceMetadata`: ``PUT /latest/api/token`` with
  ``X-aws-ec2-metadata-token-ttl-seconds`` (1..21600) answers a session token; every
  ``GET`` must carry it in ``X-aws-ec2-metadata-token`` (else 401);
  ``/latest/meta-data/iam/security-credentials/`` names the role and
  ``…/security-credentials/<role>`` answers its credentials. In ``hop_limited`` mode the
  token PUT gets no answer at all, as from inside a container when the instance's
  ``HttpPutResponseHopLimit`` is 1: the answer's IP packets expire one hop early.
  (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html)

The keys they serve are whatever the test gives them, normally keys moto knows, so a check
can go all the way to STS.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CONTAINER_PATH = "/v2/credentials/5f1c2a6e-task"
IMDS_TOKEN_PATH = "/latest/api/token"
IMDS_ROLES_PATH = "/latest/meta-data/iam/security-credentials/"
TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aws-ec2-metadata-token"


@dataclass
class ServedKeys:
    """The credentials a metadata service hands out, and until when they are valid."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    token: str = field(default="", repr=False)
    expiration: datetime = field(default_factory=lambda: datetime.now(UTC) + timedelta(hours=6))

    def document(self) -> dict[str, str]:
        """The JSON both services answer (IMDS adds Code, LastUpdated and Type)."""
        return {
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
            "Token": self.token,
            "Expiration": self.expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }


class _Server:
    """A threaded HTTP server on 127.0.0.1 with a free port, stopped cleanly."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.released = threading.Event()  # lets held (unanswered) requests end

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()


def _send(handler: BaseHTTPRequestHandler, status: int, body: str, kind: str) -> None:
    payload = body.encode()
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)


class ContainerEndpoint(_Server):
    """The container credentials endpoint: ``AWS_CONTAINER_CREDENTIALS_FULL_URI``.

    ``mode``: ``ok``; ``malformed`` (an answer that is not the credentials JSON);
    ``expired`` (well formed, with an ``Expiration`` in the past).
    """

    def __init__(self, keys: ServedKeys, token: str, mode: str = "ok") -> None:
        self.keys = keys
        self.token = token
        self.mode = mode
        self.requests: list[dict[str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                owner.requests.append({k.lower(): v for k, v in self.headers.items()})
                if self.path != CONTAINER_PATH:
                    _send(self, 404, '{"message":"Not Found"}', "application/json")
                    return
                if self.headers.get("Authorization") != owner.token:
                    _send(
                        self,
                        401,
                        '{"message":"Authorization token is missing or invalid"}',
                        "application/json",
                    )
                    return
                document: dict[str, Any] = owner.keys.document()
                document["RoleArn"] = "arn:aws:iam::123456789012:role/task-role"
                if owner.mode == "malformed":
                    _send(self, 200, "<html><body>upstream not ready</body></html>", "text/html")
                    return
                if owner.mode == "expired":
                    document["Expiration"] = "2020-01-01T00:00:00Z"
                _send(self, 200, json.dumps(document), "application/json")

        super().__init__(Handler)

    @property
    def full_uri(self) -> str:
        return self.endpoint + CONTAINER_PATH


class InstanceMetadata(_Server):
    """IMDSv2 on loopback (``AWS_EC2_METADATA_SERVICE_ENDPOINT``).

    ``role=None`` is an instance without an instance profile: the role listing answers
    404, as IMDS does. ``hop_limited``: the token PUT is read and never answered.
    """

    def __init__(
        self, keys: ServedKeys, role: str | None = "app-role", *, hop_limited: bool = False
    ) -> None:
        self.keys = keys
        self.role = role
        self.hop_limited = hop_limited
        self.tokens: set[str] = set()
        self.puts = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return

            def do_PUT(self) -> None:  # noqa: N802
                owner.puts += 1
                if self.path != IMDS_TOKEN_PATH:
                    _send(self, 404, "Not Found", "text/plain")
                    return
                if owner.hop_limited:
                    # The answer would leave with a TTL of one and die at the container's
                    # bridge: the caller sees nothing until its own timeout.
                    owner.released.wait(30)
                    self.close_connection = True
                    return
                try:
                    ttl = int(self.headers.get(TTL_HEADER, ""))
                except ValueError:
                    ttl = 0
                if not 1 <= ttl <= 21600:
                    _send(self, 400, "Bad Request", "text/plain")
                    return
                token = secrets.token_urlsafe(40)
                owner.tokens.add(token)
                _send(self, 200, token, "text/plain")

            def do_GET(self) -> None:  # noqa: N802
                if self.headers.get(TOKEN_HEADER) not in owner.tokens:
                    _send(self, 401, "Unauthorized", "text/plain")
                    return
                if self.path == IMDS_ROLES_PATH and owner.role:
                    _send(self, 200, owner.role, "text/plain")
                elif owner.role and self.path == IMDS_ROLES_PATH + owner.role:
                    document: dict[str, Any] = {
                        "Code": "Success",
                        "LastUpdated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "Type": "AWS-HMAC",
                        **owner.keys.document(),
                    }
                    _send(self, 200, json.dumps(document), "text/plain")
                else:
                    _send(self, 404, "Not Found", "text/plain")

        super().__init__(Handler)


@contextmanager
def container_endpoint(
    keys: ServedKeys, token: str, mode: str = "ok"
) -> Iterator[ContainerEndpoint]:
    server = ContainerEndpoint(keys, token, mode)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def instance_metadata(
    keys: ServedKeys, role: str | None = "app-role", *, hop_limited: bool = False
) -> Iterator[InstanceMetadata]:
    server = InstanceMetadata(keys, role, hop_limited=hop_limited)
    server.start()
    try:
        yield server
    finally:
        server.stop()
