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
    from keydoctor.model import CredentialSource, Location
    from keydoctor.probes.clients import StaticKeys
    from keydoctor.probes.outcome import ProbeResult
    from keydoctor.probes.plans import Step, StepAnswer, StepPlan
    from keydoctor.probes.transport import Target

    keys = StaticKeys("AKIAY34FZKBOKMUTVV7A", VALUE, VALUE + "token")
    source = CredentialSource(
        method="redshift-statement",
        location=Location(kind="aws"),
        access_key_id="AKIAY34FZKBOKMUTVV7A",
        secret_access_key=Secret(VALUE),
        session_token=Secret(VALUE + "token"),
    )
    step = Step("assume role", None, None, keys)
    # AssumeRole's answer holds the role's keys: the step's answer keeps them out of sight.
    assumed = {"Credentials": {"AccessKeyId": "ASIAY34FZKBOKMUTVV7A", "SecretAccessKey": VALUE}}
    for value in (
        keys,
        LabKeys("someone", "AKIAY34FZKBOKMUTVV7A", VALUE),
        Secret(VALUE),
        source,
        Target(region="us-east-1", endpoint_url=None, profile=None, source=source),
        step,
        StepPlan((step,), region="us-east-1"),
        StepAnswer(step, ProbeResult("assume role", "sts", "AssumeRole", ""), assumed),
    ):
        for shown in (repr(value), str(value)):
            assert VALUE[:8] not in shown, type(value).__name__
            assert VALUE[-8:] not in shown, type(value).__name__


def test_every_secret_holding_dataclass_prints_no_secret() -> None:
    """Each dataclass with a secret-named field, built with a known secret there (a Secret
    where the field is typed so), shows it neither in repr nor in str."""
    checked: list[str] = []
    for cls in _dataclasses():
        fields = [f for f in dataclasses.fields(cls) if f.init]
        if not any(SECRET_FIELD.search(f.name) for f in fields):
            continue
        values: dict[str, object] = {}
        for field in fields:
            hint = str(field.type)
            if not SECRET_FIELD.search(field.name):
                values[field.name] = "x"
            elif "bool" in hint or "int" in hint or "float" in hint:
                values[field.name] = True  # a flag or a count: no secret to hold
            else:
                values[field.name] = Secret(VALUE) if "Secret" in hint else VALUE
        value = cls(**values)
        name = f"{cls.__module__}.{cls.__qualname__}"
        for shown in (repr(value), str(value)):
            assert VALUE[:8] not in shown and VALUE[-8:] not in shown, name
        checked.append(name)
    assert "keydoctor.probes.clients.StaticKeys" in checked  # the walk did find them
    assert "keydoctor.redshift.checks.Authorization" in checked
