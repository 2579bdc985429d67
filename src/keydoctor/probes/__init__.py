"""The questions asked of AWS (or any S3-compatible endpoint) when ``keydoctor check`` runs
online: who am I, may I list and read, where does the bucket live, how old are my keys,
and why was I denied.

Only this package talks to the network, and only through botocore clients created on
demand (never at import), with tight timeouts, retries off and the User-Agent
``keydoctor/<version>``. The entry point is :func:`keydoctor.probes.runner.run_probes`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["RULES"]


def __getattr__(name: str) -> Any:
    """``RULES`` on first use: the probe rules load the offline rules' package, which the
    online check loads only once its questions are on their way."""
    if name == "RULES":
        from keydoctor.probes.rules import RULES

        return RULES
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
