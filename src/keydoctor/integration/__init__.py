"""keydoctor inside a Python program: the diagnosis where the error happens.

``install()`` hooks botocore so that credential, permission and region errors carry a
``keydoctor:`` line and ``exc.keydoctor``; ``diagnose()`` answers for any exception or
error text; ``check()`` is the offline audit. Importing this package imports neither
boto3 nor botocore; :func:`install` imports botocore, as it must.
"""

from __future__ import annotations

from keydoctor.integration.api import CheckReport, check, diagnose
from keydoctor.integration.diagnosis import Cause, Diagnosis
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
