"""The network path and the web identity token, judged the way their real readers judge them.

Python's ``urllib`` and botocore's ``get_environ_proxies`` decide which requests go to a
proxy; Python's ``ssl`` loads a CA bundle as urllib3 does for botocore. The checks here
are compared with those peers on the same inputs, not with expectations of our own.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import ssl
from datetime import UTC, datetime
from pathlib import Path

import certifi
import pytest
from botocore.utils import get_environ_proxies

from keydoctor.checks.network import _in_network, ca_bundle_problem, proxies_from
from keydoctor.checks.providers import token_problem

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")
PROXY = "http://proxy.example.com:3128"
SETTINGS: list[dict[str, str]] = [
    {},
    {"HTTP_PROXY": PROXY},
    {"HTTPS_PROXY": PROXY},
    {"http_proxy": PROXY, "HTTP_PROXY": "http://other.example.com:8080"},
    {"HTTP_PROXY": PROXY, "http_proxy": ""},
    {"HTTP_PROXY": PROXY, "NO_PROXY": "localhost"},
    {"HTTP_PROXY": PROXY, "HTTPS_PROXY": PROXY, "NO_PROXY": ".example.com,minio"},
    {"https_proxy": PROXY, "no_proxy": "10.1.2.3", "NO_PROXY": "*"},
    {"HTTP_PROXY": PROXY, "NO_PROXY": "*"},
    {"HTTP_PROXY": PROXY, "NO_PROXY": "127.0.0.1:9000"},
    {"HTTP_PROXY": PROXY, "REQUEST_METHOD": "GET"},
]
ENDPOINTS = [
    "http://localhost:9000",
    "http://127.0.0.1:9000",
    "https://10.1.2.3:9000",
    "http://minio:9000",
    "https://s3.example.com",
    "https://s3.eu-west-1.amazonaws.com",
]


def _only(monkeypatch: pytest.MonkeyPatch, setting: dict[str, str]) -> None:
    for name in [*PROXY_VARS, "REQUEST_METHOD"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in setting.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: ",".join(s) or "none")
def test_proxies_read_from_variables_as_urllib_reads_them(
    monkeypatch: pytest.MonkeyPatch, setting: dict[str, str]
) -> None:
    import urllib.request

    _only(monkeypatch, setting)
    assert proxies_from(dict(setting)) == urllib.request.getproxies_environment()


@pytest.mark.parametrize(
    ("setting", "endpoint"),
    list(itertools.product(SETTINGS, ENDPOINTS)),
    ids=lambda v: (",".join(v) or "none") if isinstance(v, dict) else v,
)
def test_kd409_fires_exactly_when_botocore_would_proxy_a_local_endpoint(
    monkeypatch: pytest.MonkeyPatch,
    setting: dict[str, str],
    endpoint: str,
    tmp_path: Path,
) -> None:
    from keydoctor.checks.base import AuditContext
    from keydoctor.checks.network import check_endpoint_proxy
    from keydoctor.sources.chain import gather, resolve

    _only(monkeypatch, setting)
    scheme = endpoint.split(":", 1)[0]
    botocore_proxies = scheme in get_environ_proxies(endpoint)
    host = endpoint.split("//", 1)[1].split(":", 1)[0]

    env = {"HOME": str(tmp_path), "AWS_ENDPOINT_URL": endpoint, **setting}
    environment = gather(env, None)
    ctx = AuditContext(environment=environment, resolution=resolve(environment))
    findings = list(check_endpoint_proxy(ctx))
    assert bool(findings) == (botocore_proxies and _in_network(host))
    for finding in findings:
        assert "proxy.example.com" in finding.explanation
        assert finding.fix.startswith("export ")


def test_in_network_hosts() -> None:
    local = [
        "localhost",
        "LOCALHOST.",
        "minio",
        "api.localhost",
        "nas.local",
        "s3.corp.internal",
        "127.0.0.1",
        "10.0.0.5",
        "192.168.1.20",
        "172.16.0.1",
        "169.254.170.2",
        "::1",
        "fd00::1",
    ]
    remote = ["s3.amazonaws.com", "s3.example.com", "8.8.8.8", "2001:4860::8888"]
    assert [h for h in local if not _in_network(h)] == []
    assert [h for h in remote if _in_network(h)] == []


def _loads_in_ssl(path: str) -> bool:
    """Python's ssl is the reader: urllib3 hands botocore's ``verify`` path to it."""
    try:
        ssl.create_default_context(cafile=path)
    except (OSError, ssl.SSLError, ValueError):
        return False
    return True


def test_ca_bundle_problems_agree_with_what_ssl_can_load(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pem"
    empty.write_bytes(b"")
    text = tmp_path / "notes.txt"
    text.write_text("my corporate CA is on the wiki\n", encoding="utf-8")
    binary = tmp_path / "ca.der"
    binary.write_bytes(bytes(range(256)) * 4)
    cases = {
        str(tmp_path / "missing.pem"): "does not exist",
        str(tmp_path): "folder",
        str(empty): "empty",
        str(text): "no PEM certificate",
        str(binary): "no PEM certificate",
        certifi.where(): None,
    }
    for path, words in cases.items():
        problem = ca_bundle_problem(path)
        assert (problem is None) == _loads_in_ssl(path), path
        if words is None:
            assert problem is None
        else:
            assert problem is not None and words in problem, (path, problem)
    assert ca_bundle_problem("  ") == "is empty, which botocore rejects (InvalidConfigError)"


def _jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        raw = json.dumps(data).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return (
        f"{part({'alg': 'RS256', 'kid': 'k1'})}.{part(claims)}.c2lnbmF0dXJlLXBhcnQtbmV2ZXItc2hvd24"
    )


NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
CLAIMS = {
    "iss": "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE",
    "aud": ["sts.amazonaws.com"],
    "sub": "system:serviceaccount:shop:api",
}


def test_web_identity_token_problems(tmp_path: Path) -> None:
    def write(name: str, content: str | bytes) -> str:
        path = tmp_path / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return str(path)

    expired = _jwt({**CLAIMS, "exp": int(NOW.timestamp()) - 60})
    fresh = _jwt({**CLAIMS, "exp": int(NOW.timestamp()) + 3600})
    assert token_problem(str(tmp_path / "none"), NOW) == "does not exist"
    assert token_problem(str(tmp_path), NOW) == "is a folder, not the token file"
    assert token_problem(write("empty", "\n"), NOW) == "is empty"
    assert token_problem(write("bin", b"\xff\xfe\x00"), NOW) == "is not text, so it holds no token"
    assert token_problem(write("opaque", "abc.def"), NOW) == (
        "does not hold a JWT (three dot-separated base64url parts)"
    )
    assert token_problem(write("fresh", fresh + "\n"), NOW) is None
    assert token_problem(write("noexp", _jwt(CLAIMS)), NOW) is None
    said = token_problem(write("expired", expired), NOW)
    assert said == (
        "holds a token that expired at 2026-12-02T11:59:00Z "
        "(iss=https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE aud=sts.amazonaws.com "
        "sub=system:serviceaccount:shop:api)"
    )
    assert "c2lnbmF0dXJl" not in said and expired not in said


def test_expired_token_is_reported_by_check_without_the_token(tmp_path: Path) -> None:
    import subprocess
    import sys

    token = _jwt({**CLAIMS, "exp": 1_700_000_000})
    (tmp_path / "token").write_text(token, encoding="utf-8")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ROLE_ARN": "arn:aws:iam::111122223333:role/app",
        "AWS_WEB_IDENTITY_TOKEN_FILE": str(tmp_path / "token"),
    }
    for fmt in ("text", "json", "sarif"):
        proc = subprocess.run(
            [sys.executable, "-m", "keydoctor", "check", "--offline", "--format", fmt],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 1, proc.stderr
        assert "KD506" in proc.stdout
        assert "expired at 2023-11-14T22:13:20Z" in proc.stdout
        for part in token.split("."):
            assert part[:12] not in proc.stdout + proc.stderr


def test_bad_ca_bundle_is_only_a_risk_while_every_request_is_plain_http(tmp_path: Path) -> None:
    from keydoctor.audit import run_audit

    base = {"HOME": str(tmp_path), "AWS_CA_BUNDLE": str(tmp_path / "missing.pem")}
    plain = run_audit(environ={**base, "AWS_ENDPOINT_URL": "http://127.0.0.1:9000"})
    tls = run_audit(environ={**base, "AWS_ENDPOINT_URL": "https://127.0.0.1:9000"})
    none = run_audit(environ=base)
    severities = [
        [f.severity.value for f in r.findings if f.code == "KD408"] for r in (plain, tls, none)
    ]
    assert severities == [["low"], ["critical"], ["critical"]]


def _sts_shapes() -> dict[str, dict[str, object]]:
    """STS's own service model, as botocore ships it: the bounds AWS documents."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("sts")
    return {
        name: dict(model.shape_for(name).metadata)
        for name in ("roleSessionNameType", "roleDurationSecondsType")
    }


def test_role_bounds_are_the_sts_models() -> None:
    from keydoctor.checks import providers

    shapes = _sts_shapes()
    name, duration = shapes["roleSessionNameType"], shapes["roleDurationSecondsType"]
    assert (duration["min"], duration["max"]) == (providers.MIN_DURATION, providers.MAX_DURATION)
    assert providers._SESSION_NAME.pattern == f"{name['pattern']}".replace("*", "") + (
        f"{{{name['min']},{name['max']}}}"
    )


@pytest.mark.parametrize(
    "name",
    ["a", "jane doe", "jane/doe", "x" * 65, "ünïcode", "tab\there", "", "ok@corp.example", "ab"],
)
def test_safe_session_name_is_accepted_by_the_sts_model(name: str) -> None:
    import re

    from keydoctor.checks.providers import _SESSION_NAME, safe_session_name

    shape = _sts_shapes()["roleSessionNameType"]
    pattern = re.compile(f"{shape['pattern']}", re.ASCII)
    fixed = safe_session_name(name)
    assert pattern.fullmatch(fixed) and shape["min"] <= len(fixed) <= shape["max"]  # type: ignore[operator]
    valid = bool(pattern.fullmatch(name)) and 2 <= len(name) <= 64
    assert bool(_SESSION_NAME.fullmatch(name)) == valid
    if valid:
        assert fixed == name


def test_botocore_refuses_what_kd507_reports_below_the_minimum() -> None:
    """botocore's own validator is the oracle for the bounds it checks before sending."""
    import botocore.session
    from botocore.exceptions import ParamValidationError
    from botocore.validate import validate_parameters

    model = botocore.session.get_session().get_service_model("sts")
    shape = model.operation_model("AssumeRole").input_shape
    base = {"RoleArn": "arn:aws:iam::111122223333:role/app"}
    for params in ({"RoleSessionName": "a"}, {"RoleSessionName": "ok", "DurationSeconds": 899}):
        with pytest.raises(ParamValidationError):
            validate_parameters({**base, **params}, shape)
    validate_parameters({**base, "RoleSessionName": "ok", "DurationSeconds": 900}, shape)
