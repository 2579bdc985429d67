"""keydoctor inside a Python program: the diagnosis where the error happens.

``install()`` hooks botocore so that credential, permission and region errors carry a
``keydoctor:`` line and ``exc.keydoctor``; ``diagnose()`` answers for any exception or
error text; ``check()`` is the offline audit. Names load lazily: importing this package
(as every process under ``keydoctor run`` does at start-up) costs next to nothing and
imports neither boto3 nor botocore; :func:`install` imports botocore, as it must.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keydoctor.diagnosis import Cause
    from keydoctor.integration.api import CheckReport, check, diagnose
    from keydoctor.integration.diagnosis import Diagnosis
    from keydoctor.integration.hook import install, is_installed, uninstall

__all__ = [
    "Cause",
    "CheckReport",
    "Diagnosis",
    "check",
    "diagnose",
    "install",
    "is_installed",
    "uninstall",
]

_LAZY = {
    "Cause": "keydoctor.diagnosis",
    "CheckReport": "keydoctor.integration.api",
    "Diagnosis": "keydoctor.integration.diagnosis",
    "check": "keydoctor.integration.api",
    "diagnose": "keydoctor.integration.api",
    "install": "keydoctor.integration.hook",
    "is_installed": "keydoctor.integration.hook",
    "uninstall": "keydoctor.integration.hook",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'keydoctor.integration' has no attribute {name!r}")
    return getattr(importlib.import_module(module_name), name)
