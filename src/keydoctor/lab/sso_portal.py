"""A loopback IAM Identity Center portal, for the lab and the tests.

moto's server has no ``sso`` service (it has ``sso-admin``, the administrators' API, not
the portal the SDKs call with a user's token). This small server answers the two portal
requests an SSO profile needs, as the portal API reference documents them:

- ``GET /federation/credentials?account_id=A&role_name=R`` with the token in the
  ``x-amz-sso_bearer_token`` header (GetRoleCredentials): 200
  ``{"roleCredentials": {accessKeyId, secretAccessKey, sessionToken, expiration}}``
  (expiration in epoch milliseconds); 401 ``UnauthorizedException`` "Session token not
  found or invalid" for a token it does not know; 403 ``ForbiddenException`` "No access"
  when the token is good but that role is not assigned in that account.
- ``GET /assignment/roles?account_id=A`` (ListAccountRoles): ``{"roleList": [...]}``.

The role credentials it hands out are real keys of the emulator (moto), so every later
request of the check is answered by moto. Nothing here is an AWS secret.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

TOKEN_HEADER = "x-amz-sso_bearer_token"
UNAUTHORIZED = "UnauthorizedException"
FORBIDDEN = "ForbiddenException"


@dataclass(frozen=True)
class RoleKeys:
    """Temporary credentials the portal gives for one account and role."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)


class SsoPortal:
    """Serves GetRoleCredentials and ListAccountRoles for the tokens it was given."""

    def __init__(self) -> None:
        self._grants: dict[str, dict[tuple[str, str], RoleKeys]] = {}
        self._lock = threading.Lock()
        self.asked: list[str] = []  # the paths asked, in order (never the token)
        portal = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                status, error, body = portal.answer(self.path, self.headers.get(TOKEN_HEADER))
                payload = json.dumps(body).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if error:
                    self.send_header("x-amzn-ErrorType", error)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def grant(self, token: str, account: str, role: str, keys: RoleKeys) -> None:
        """Let ``token`` obtain ``keys`` for ``role`` in ``account`` (an assignment)."""
        with self._lock:
            self._grants.setdefault(token, {})[(account, role)] = keys

    def answer(self, path: str, token: str | None) -> tuple[int, str, dict[str, object]]:
        """Status, error type and JSON body for one request, as the portal answers."""
        parsed = urllib.parse.urlsplit(path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(parsed.query).items()}
        with self._lock:
            self.asked.append(parsed.path)
            grants = self._grants.get(token or "")
        if grants is None:
            return 401, UNAUTHORIZED, {"message": "Session token not found or invalid"}
        account = query.get("account_id", "")
        if parsed.path == "/assignment/roles":
            roles = sorted(r for a, r in grants if a == account)
            return 200, "", {"roleList": [{"roleName": r, "accountId": account} for r in roles]}
        if parsed.path != "/federation/credentials":
            return 404, "ResourceNotFoundException", {"message": "Not found"}
        keys = grants.get((account, query.get("role_name", "")))
        if keys is None:
            return 403, FORBIDDEN, {"message": "No access"}
        expiration = int((time.time() + 3600) * 1000)
        return (
            200,
            "",
            {
                "roleCredentials": {
                    "accessKeyId": keys.access_key_id,
                    "secretAccessKey": keys.secret_access_key,
                    "sessionToken": keys.session_token,
                    "expiration": expiration,
                }
            },
        )

    def start(self) -> SsoPortal:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SsoPortal:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
