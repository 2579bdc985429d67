"""No type that holds credentials prints a secret in its repr.

A ``repr`` ends up in tracebacks, logs, debugger output and pytest's assertion messages.
Every dataclass in the package is walked: a field whose name says it holds a secret, a
session token or a password must be a :class:`keydoctor.model.Secret` (which never prints
its value) or be declared with ``repr=False``. A second test builds the credential-holding
types with a known secret and checks their repr for real.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re

import keydoctor
from keydoctor.model import Secret

SECRET_FIELD = re.compile(r"secret|(^|_)token$|password|passwd", re.IGNORECASE)  # not "tokens"
VALUE = "Zq8Wx3Lm5Nv7Bc9Xz1Df2Gh4Jk6Lp8Qr0St2Uv4W"


def _dataclasses() -> list[type]:
    found: list[type] = []
    for info in pkgutil.walk_packages(keydoctor.__path__, "keydoctor."):
        if info.name.endswith(("__main__", "sitecustomize")):
            continue  # running them starts the CLI / installs the hook
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and dataclasses.is_dataclass(value)
                and value.__module__ == module.__name__
            ):
                found.append(value)
    return found


def test_every_secret_field_is_hidden_from_repr() -> None:
    exposed = []
    for cls in _dataclasses():
        for field in dataclasses.fields(cls):
            if not SECRET_FIELD.search(field.name) or not field.repr:
                continue
            hint = str(field.type)
            if "Secret" in hint or "bool" in hint or "int" in hint or "float" in hint:
                continue  # a Secret prints masked; a flag or a count holds no secret
            exposed.append(f"{cls.__module__}.{cls.__qualname__}.{field.name}: {hint}")
    assert exposed == []


def test_credential_holders_print_no_secret() -> None:
    from keydoctor.lab.emulator import Keys as LabKeys
    from keydoctor.redshift.probe import Keys as StatementKeys

    for value in (
        StatementKeys("AKIAY34FZKBOKMUTVV7A", VALUE, VALUE + "token"),
        LabKeys("someone", "AKIAY34FZKBOKMUTVV7A", VALUE),
        Secret(VALUE),
    ):
        assert VALUE[:8] not in repr(value)
        assert VALUE[-8:] not in repr(value)
