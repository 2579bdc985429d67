"""A region error through the hook, replayed from AWS's documented S3 answer.

moto serves any bucket from any region, so it cannot produce this error. The server
below replays what S3 answers when a request is signed for the wrong region: HTTP 400,
``AuthorizationHeaderMalformed``, with the expected region in the message and in
``<Region>`` (recorded shape of AWS's S3 error response, as documented in the S3 API
reference "Error responses"). botocore's own S3 region redirector sees it first and
retries once with that region; the replay answers the same again (it stands for the
case where that retry cannot help, e.g. a fixed regional endpoint), so the error
reaches the program.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore.exceptions import ClientError

import keydoctor

BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b"<Error><Code>AuthorizationHeaderMalformed</Code>"
    b"<Message>The authorization header is malformed; the region 'us-east-1' is wrong; "
    b"expecting 'eu-west-1'</Message><Region>eu-west-1</Region>"
    b"<RequestId>7Q3MQA3J9XK2V1RB</RequestId>"
    b"<HostId>Hx0c1B6vZm3a8s0Qk5y9nQx1p2T4r6u8w0y2A4c6e8g=</HostId></Error>"
)


class _Replay(BaseHTTPRequestHandler):
    requests = 0

    def _answer(self) -> None:
        type(self).requests += 1
        self.send_response(400)
        self.send_header("Content-Type", "application/xml")
        self.send_header("x-amz-request-id", "7Q3MQA3J9XK2V1RB")
        self.send_header("x-amz-bucket-region", "eu-west-1")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(BODY)

    do_GET = do_PUT = do_HEAD = do_POST = _answer

    def log_message(self, *_: object) -> None:  # keep test output clean
        return


@pytest.fixture
def replay() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Replay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_wrong_region_names_region(
    replay: str, monkeypatch: pytest.MonkeyPatch, clean_env: dict[str, str]
) -> None:
    monkeypatch.setenv("HOME", clean_env["HOME"])
    keydoctor.install()
    try:
        client = boto3.session.Session().client(
            "s3",
            region_name="us-east-1",
            endpoint_url=replay,
            aws_access_key_id="AKIAZ3MHL4QPDX7KWN2V",
            aws_secret_access_key="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",
        )
        with pytest.raises(ClientError) as info:
            client.list_objects_v2(Bucket="reports-eu")
    finally:
        keydoctor.uninstall()
    exc = info.value
    assert exc.response["Error"]["Code"] == "AuthorizationHeaderMalformed"
    lines = [line for line in str(exc).splitlines() if line.startswith("keydoctor:")]
    assert len(lines) == 1 and lines[0].startswith("keydoctor: [region-endpoint] "), str(exc)
    assert exc.keydoctor.client["region"] == "us-east-1"  # type: ignore[attr-defined]
    assert _Replay.requests >= 1
