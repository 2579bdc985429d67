"""botocore clients for the fixes that talk to AWS, built from explicit keys only.

The session is cut off from the user's shared files and environment on purpose: a fix
acts with exactly the keys it names (the profile's current key, then the new one), never
with whatever the chain would pick up. botocore is imported here lazily, so the offline
path never pays for it.
"""

from __future__ import annotations

import os
from typing import Any

from keydoctor.model import Secret

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 15


def make_client(
    service: str,
    access_key_id: str,
    secret: Secret,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    session_token: Secret | None = None,
) -> Any:
    import botocore.session
    from botocore.config import Config

    session = botocore.session.Session()
    # No shared file and no variable may add to or override the keys given here.
    session.set_config_variable("config_file", os.devnull)
    session.set_config_variable("credentials_file", os.devnull)
    session.set_config_variable("profile", None)
    config = Config(
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        retries={"max_attempts": 2, "mode": "standard"},
        user_agent_extra="keydoctor-fix",
    )
    return session.create_client(
        service,
        region_name=region or "us-east-1",
        endpoint_url=endpoint_url,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret.reveal(),
        aws_session_token=session_token.reveal() if session_token else None,
        config=config,
    )


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError, else None."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None
