"""Recorded AWS answers, replayed over HTTP on 127.0.0.1, for what moto does not do.

moto serves a bucket from every region, so it never answers a request sent to the wrong
region the way S3 does. For that scenario the application talks to this server instead,
which answers every request with S3's documented ``PermanentRedirect``: status 301, the
``x-amz-bucket-region`` header and the XML error body (``Code``, ``Message``,
``Endpoint``, ``Bucket``, ``RequestId``, ``HostId``), as the S3 API reference documents
them. boto3's own redirect logic then retries once, signed for the right region, gets
the same answer again and gives up, as it does against a pinned regional endpoint.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PERMANENT_REDIRECT_MESSAGE = (
    "The bucket you are attempting to access must be addressed using the specified "
    "endpoint. Please send all future requests to this endpoint."
)


@dataclass(frozen=True)
class Answer:
    """One recorded answer: status, headers and body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def permanent_redirect(bucket: str, region: str) -> Answer:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<Error><Code>PermanentRedirect</Code>"
        f"<Message>{PERMANENT_REDIRECT_MESSAGE}</Message>"
        f"<Endpoint>{bucket}.s3.{region}.amazonaws.com</Endpoint>"
        f"<Bucket>{bucket}</Bucket>"
        "<RequestId>7TQ9B3V2WS1KXJ4M</RequestId>"
        "<HostId>recorded-answer-replayed-by-keydoctor-lab</HostId></Error>"
    ).encode()
    headers = (
        ("x-amz-bucket-region", region),
        ("x-amz-request-id", "7TQ9B3V2WS1KXJ4M"),
        ("Content-Type", "application/xml"),
        ("Server", "AmazonS3"),
    )
    return Answer(301, headers, body)


class ReplayServer:
    """Answers every request with one recorded answer; loopback only."""

    def __init__(self, answer: Answer) -> None:
        recorded = answer

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, with_body: bool) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(recorded.status)
                for name, value in recorded.headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(recorded.body)))
                self.end_headers()
                if with_body:
                    self.wfile.write(recorded.body)

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self._answer(True)

            def do_PUT(self) -> None:  # noqa: N802
                self._answer(True)

            def do_POST(self) -> None:  # noqa: N802
                self._answer(True)

            def do_HEAD(self) -> None:  # noqa: N802
                self._answer(False)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
