"""The one optional network question of the hook: who do these credentials belong to?

Only with ``keydoctor.install(probe=True)``. STS GetCallerIdentity needs no permission,
so its answer separates "the keys themselves are bad" from "the keys are fine, the
request or the policy is not". It goes to the failing client's own endpoint when that
was customised (a local emulator, a proxy), else to the regional STS endpoint, with a
two-second timeout and no retries, and its own failure is just another fact.
"""

from __future__ import annotations

from typing import Any

from keydoctor.integration.clientfacts import ClientFacts

TIMEOUT_SECONDS = 2.0


def identity_probe(facts: ClientFacts) -> dict[str, Any]:
    """Ask STS who the client's static keys belong to; never raises."""
    if not facts.static_keys or facts.secret_access_key is None:
        return {"asked": False, "reason": "the client has no static keys to ask about"}
    try:
        from keydoctor.catalog.hosts import is_aws_host
        from keydoctor.probes.clients import StaticKeys, make_client

        token = facts.session_token.reveal() if facts.session_token else None
        client = make_client(
            "sts",
            keys=StaticKeys(facts.access_key_id or "", facts.secret_access_key.reveal(), token),
            region=facts.region,
            endpoint_url=None if is_aws_host(facts.endpoint_url) else facts.endpoint_url,
            connect_timeout=TIMEOUT_SECONDS,
            read_timeout=TIMEOUT_SECONDS,
        )
        answer = client.get_caller_identity()
        return {"asked": True, "ok": True, "account": answer.get("Account"), "error_code": None}
    except Exception as exc:
        response = getattr(exc, "response", None)
        code = None
        if isinstance(response, dict):
            code = response.get("Error", {}).get("Code")
        return {
            "asked": True,
            "ok": False,
            "account": None,
            "error_code": code or type(exc).__name__,
        }
