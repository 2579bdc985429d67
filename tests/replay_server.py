"""A tiny HTTP server on 127.0.0.1 that replays recorded AWS answers.

moto does not reproduce every behaviour of AWS (clock-skew refusals, expired tokens,
cross-region redirects, refusing inactive keys). For those, tests serve the answers AWS
gives, as AWS documents them: status, headers (S3's ``Server: AmazonS3`` included) and the
XML body. Each test says which behaviour it replays. Requests are routed by operation: the
``Action`` of a query-protocol body (STS, IAM) or the method and path of an S3 request.

In front of moto (``upstream``), the server replays only what moto gets wrong and passes
every other request to moto unchanged; a ``route`` decides from the request itself when
the operation alone does not (AssumeRole refused only above the role's maximum duration).
"""

from __future__ import annotations

import http.client
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    status: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    date_offset: float = 0.0  # seconds added to the Date header (clock skew)


# (operation, body, headers) -> the answer to replay, or None for the usual lookup.
Route = Callable[[str, str, dict[str, str]], Answer | None]

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"


def sts_error(code: str, message: str, status: int = 403, **kw: float) -> Answer:
    body = (
        f'<ErrorResponse xmlns="{STS_NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{message}</Message></Error>"
        "<RequestId>4fa4c9c3-5f2a-4b1c-9d0e-0a1b2c3d4e5f</RequestId></ErrorResponse>"
    )
    return Answer(status, body, {"Content-Type": "text/xml"}, **kw)


def iam_error(code: str, message: str, status: int = 403) -> Answer:
    body = (
        f'<ErrorResponse xmlns="{IAM_NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{message}</Message></Error>"
        "<RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ErrorResponse>"
    )
    return Answer(status, body, {"Content-Type": "text/xml"})


def s3_error(
    code: str,
    message: str,
    status: int,
    extra: str = "",
    headers: dict[str, str] | None = None,
    **kw: float,
) -> Answer:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>{extra}"
        "<RequestId>4442587FB7D0A2F9</RequestId><HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/"
        "C1NPcfTWAtRPfTaOFg==</HostId></Error>"
    )
    return Answer(status, body, {"Content-Type": "application/xml", **(headers or {})}, **kw)


def caller_identity(
    arn: str, account: str = "123456789012", user_id: str = "AIDACKCEVSQ6C2EXAMPLE"
) -> Answer:
    body = (
        f'<GetCallerIdentityResponse xmlns="{STS_NS}"><GetCallerIdentityResult>'
        f"<Arn>{arn}</Arn><UserId>{user_id}</UserId><Account>{account}</Account>"
        "</GetCallerIdentityResult><ResponseMetadata>"
        "<RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>"
        "</GetCallerIdentityResponse>"
    )
    return Answer(200, body, {"Content-Type": "text/xml"})


def operation_of(method: str, path: str, body: str) -> str:
    """The AWS operation a request asks for (enough for the probes keydoctor sends)."""
    if method == "POST" and "Action=" in body:
        form = urllib.parse.parse_qs(body)
        return form.get("Action", ["?"])[0]
    parsed = urllib.parse.urlsplit(path)
    if parsed.path == "/federation/credentials":  # the SSO portal (GetRoleCredentials)
        return "GetRoleCredentials"
    parts = [p for p in parsed.path.split("/") if p]
    query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
    if not parts:
        return "ListBuckets"
    if len(parts) == 1:
        if method == "HEAD":
            return "HeadBucket"
        if "location" in query:
            return "GetBucketLocation"
        if "policy" in query:
            return "GetBucketPolicy"
        return "ListObjectsV2"
    return {
        "HEAD": "HeadObject",
        "GET": "GetObject",
        "PUT": "PutObject",
        "DELETE": "DeleteObject",
    }.get(method, "?")


class ReplayServer:
    """Serves ``route``'s answer, else ``answers[operation]``, else forwards the request to
    ``upstream`` when there is one, else answers ``default``."""

    def __init__(
        self,
        answers: dict[str, Answer],
        default: Answer | None = None,
        *,
        route: Route | None = None,
        upstream: str | None = None,
    ) -> None:
        self.answers = answers
        self.default = default or s3_error("AccessDenied", "Access Denied", 403)
        self.route = route
        self.upstream = upstream
        self.seen: list[tuple[str, dict[str, str]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = raw.decode("utf-8", "replace")
                op = operation_of(self.command, self.path, body)
                owner.seen.append((op, dict(self.headers)))
                answer = owner.route(op, body, dict(self.headers)) if owner.route else None
                if answer is None:
                    answer = owner.answers.get(op)
                if answer is None and owner.upstream is not None:
                    self._forward(owner.upstream, raw)
                    return
                if answer is None:
                    answer = owner.default
                if answer.delay:
                    time.sleep(answer.delay)
                payload = answer.body.encode()
                self.send_response_only(answer.status)  # our own Date header below
                self.send_header("Date", formatdate(time.time() + answer.date_offset, usegmt=True))
                self.send_header("x-amz-request-id", "4442587FB7D0A2F9")
                s3_request = not (self.command == "POST" and "Action=" in body)
                if s3_request and not any(h.lower() == "server" for h in answer.headers):
                    # Amazon S3 names itself in every answer; keydoctor tells AWS from
                    # S3-compatible servers by it at a loopback endpoint like this one.
                    self.send_header("Server", "AmazonS3")
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header(
                    "Content-Length", str(0 if self.command == "HEAD" else len(payload))
                )
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            def _forward(self, upstream: str, raw: bytes) -> None:
                """The request to ``upstream`` byte for byte, and its answer back: the Host
                header goes on as the client signed it, so the signature still holds."""
                target = urllib.parse.urlsplit(upstream)
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.items():
                    conn.putheader(name, value)
                conn.endheaders(raw)
                answer = conn.getresponse()
                payload = answer.read()
                self.send_response_only(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
                conn.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> ReplayServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def replaying(
    answers: dict[str, Answer],
    default: Answer | None = None,
    *,
    route: Route | None = None,
    upstream: str | None = None,
) -> Iterator[ReplayServer]:
    server = ReplayServer(answers, default, route=route, upstream=upstream).start()
    try:
        yield server
    finally:
        server.stop()
