"""keydoctor: find out why AWS credentials fail, and fix it.

The public API is listed in ``__all__``; names are loaded lazily so that
``import keydoctor`` stays cheap and never imports boto3.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = [
    "Category",
    "CredentialSource",
    "Finding",
    "Location",
    "Severity",
    "__version__",
    "audit",
    "check",
    "diagnose",
    "install",
    "uninstall",
]

_LAZY = {
    "Category": "keydoctor.model",
    "CredentialSource": "keydoctor.model",
    "Finding": "keydoctor.model",
    "Location": "keydoctor.model",
    "Severity": "keydoctor.model",
    "audit": "keydoctor.audit",
    "check": "keydoctor.integration",
    "diagnose": "keydoctor.integration",
    "install": "keydoctor.integration",
    "uninstall": "keydoctor.integration",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'keydoctor' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)
