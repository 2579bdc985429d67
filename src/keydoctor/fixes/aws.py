"""botocore clients for the fixes that talk to AWS, built from explicit keys only.

The session is cut off from the user's shared files and environment on purpose: a fix
acts with exactly the keys it names (the profile's current key, then the new one), never
with whatever the chain would pick up. botocore is imported here lazily, so the offline
path never pays for it.
"""

from __future__ import annotations

from typing import Any

from keydoctor.model import Secret

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 15
ATTEMPTS = 3  # the first try and two retries (botocore's legacy "max_attempts": 2)


def make_client(
    service: str,
    access_key_id: str,
    secret: Secret,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    session_token: Secret | None = None,
) -> Any:
    """A client acting with exactly these keys, from a session that reads no file."""
    from keydoctor.probes.clients import StaticKeys, new_session
    from keydoctor.probes.clients import make_client as make

    keys = StaticKeys(
        access_key_id, secret.reveal(), session_token.reveal() if session_token else None
    )
    return make(
        service,
        keys=keys,
        region=region,
        endpoint_url=endpoint_url,
        session=new_session(isolated=True),
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        attempts=ATTEMPTS,
        user_agent_extra="keydoctor-fix",
    )


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError, else None."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None
