"""KD419 against botocore's own endpoint resolution, region by region.

For every region botocore knows, for STS and S3, and for FIPS, dual-stack and both, a
real botocore client is made with those settings (no request is sent) and its endpoint
compared with what the rule reads from ``endpoints.json``:

- where botocore raises EndpointVariantError, the rule must say there is no endpoint;
- where the rule names an endpoint, botocore must resolve that very hostname (one known
  exception: S3 FIPS in us-east-1, where botocore's legacy global S3 endpoint gives
  ``s3-fips.aws-global.amazonaws.com``);
- where botocore builds a hostname from a partition template that AWS lists for no such
  variant (STS FIPS in eu-west-1: ``sts-fips.eu-west-1.amazonaws.com``), the rule reports
  it: those are the cases that fail late with a DNS error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from keydoctor.checks.region import known_regions, variant_endpoint
from keydoctor.shell import runnable_part

TAGS = (frozenset({"fips"}), frozenset({"dualstack"}), frozenset({"fips", "dualstack"}))
LEGACY_GLOBAL_S3 = ("s3", "us-east-1", frozenset({"fips"}))


def _botocore_host(session: object, service: str, region: str, tags: frozenset[str]) -> str | None:
    from botocore.config import Config
    from botocore.exceptions import EndpointVariantError

    config = Config(use_fips_endpoint="fips" in tags, use_dualstack_endpoint="dualstack" in tags)
    try:
        client = session.create_client(  # type: ignore[attr-defined]
            service,
            region_name=region,
            config=config,
            aws_access_key_id="AKIAEXAMPLE",
            aws_secret_access_key="example",
        )
    except EndpointVariantError:
        return None
    return str(client.meta.endpoint_url).split("://", 1)[1]


def test_the_rule_agrees_with_botocore_in_every_region() -> None:
    import botocore.session

    session = botocore.session.Session()
    counts = {"raises": 0, "same": 0, "template-only": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for service in ("sts", "s3"):
            for region in known_regions():
                for tags in TAGS:
                    ours = variant_endpoint(service, region, tags)
                    theirs = _botocore_host(session, service, region, tags)
                    where = (service, region, sorted(tags), ours, theirs)
                    if theirs is None:
                        assert ours is None, where
                        counts["raises"] += 1
                    elif ours is None:
                        counts["template-only"] += 1
                    elif (service, region, tags) != LEGACY_GLOBAL_S3:
                        assert ours == theirs, where
                        counts["same"] += 1
    # Each kind of case occurs, so none of the assertions above is vacuous.
    assert min(counts.values()) > 0, counts
    assert variant_endpoint("sts", "eu-west-1", frozenset({"fips"})) is None
    assert variant_endpoint("sts", "us-east-1", frozenset({"fips"})) == (
        "sts-fips.us-east-1.amazonaws.com"
    )


KEYS = (
    "[default]\naws_access_key_id = AKIAY34FZKBOKMUTVV7A\n"
    "aws_secret_access_key = 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\n"
)


def _check(env: dict[str, str]) -> list[dict[str, object]]:
    proc = subprocess.run(
        [sys.executable, "-m", "keydoctor", "check", "--offline", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return [f for f in json.loads(proc.stdout)["findings"] if f["code"] == "KD419"]


@pytest.mark.parametrize(
    ("config", "variables", "names"),
    [
        ("region = eu-west-1\nuse_fips_endpoint = true\n", {}, ["use_fips_endpoint"]),
        (
            "region = eu-isoe-west-1\n",
            {"AWS_USE_DUALSTACK_ENDPOINT": "TRUE"},
            ["AWS_USE_DUALSTACK_ENDPOINT"],
        ),
        # Both asked in Frankfurt: dual-stack alone exists, so only FIPS is turned off.
        (
            "region = eu-central-1\n",
            {"AWS_USE_FIPS_ENDPOINT": "true", "AWS_USE_DUALSTACK_ENDPOINT": "true"},
            ["AWS_USE_FIPS_ENDPOINT"],
        ),
    ],
    ids=["fips-profile-ireland", "dualstack-env-isoe", "both-frankfurt"],
)
def test_settings_without_an_endpoint_are_reported_and_fixed(
    clean_env: dict[str, str], config: str, variables: dict[str, str], names: list[str]
) -> None:
    aws = Path(clean_env["HOME"]) / ".aws"
    (aws / "config").write_text("[default]\n" + config, encoding="utf-8")
    (aws / "credentials").write_text(KEYS, encoding="utf-8")
    os.chmod(aws / "credentials", 0o600)
    # The folder of this interpreter holds the `aws` command the fix names.
    path = str(Path(sys.executable).parent) + os.pathsep + clean_env.get("PATH", "")
    env = {**clean_env, **variables, "PATH": path}
    found = _check(env)
    assert [f["location"]["key"] for f in found] == names, found  # type: ignore[index]
    assert all(f["severity"] == "high" and f["category"] == "region-endpoint" for f in found)
    for finding in found:
        step = runnable_part(str(finding["fix"]))
        if step.startswith("unset "):
            env.pop(step.split()[1])
        else:
            subprocess.run(step, shell=True, env=env, check=True, cwd=clean_env["HOME"])
    assert _check(env) == []


def test_settings_where_the_endpoints_exist_are_quiet(clean_env: dict[str, str]) -> None:
    aws = Path(clean_env["HOME"]) / ".aws"
    (aws / "config").write_text("[default]\nregion = us-west-2\n", encoding="utf-8")
    (aws / "credentials").write_text(KEYS, encoding="utf-8")
    os.chmod(aws / "credentials", 0o600)
    env = {**clean_env, "AWS_USE_FIPS_ENDPOINT": "true"}
    assert _check(env) == []


ENDPOINTS = """
import warnings
warnings.simplefilter("ignore")
import botocore.session
session = botocore.session.Session()
for service in ("s3", "sts"):
    client = session.create_client(
        service, aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="example"
    )
    print(service, client.meta.endpoint_url)
"""


def test_a_services_section_is_what_botocore_follows(clean_env: dict[str, str]) -> None:
    """KD405 names the per-service endpoint botocore really uses, and its fix undoes it."""
    aws = Path(clean_env["HOME"]) / ".aws"
    (aws / "config").write_text(
        "[default]\nregion = us-east-1\nservices = local\n\n[services local]\n"
        "s3 =\n  endpoint_url = http://127.0.0.1:9000\n",
        encoding="utf-8",
    )
    (aws / "credentials").write_text(KEYS, encoding="utf-8")
    os.chmod(aws / "credentials", 0o600)

    def botocore_endpoints(env: dict[str, str]) -> dict[str, str]:
        out = subprocess.run(
            [sys.executable, "-c", ENDPOINTS], env=env, capture_output=True, text=True, timeout=60
        )
        return dict(line.split(" ", 1) for line in out.stdout.splitlines())

    assert botocore_endpoints(clean_env) == {
        "s3": "http://127.0.0.1:9000",
        "sts": "https://sts.us-east-1.amazonaws.com",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "keydoctor", "check", "--offline", "--format", "json"],
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    found = [f for f in json.loads(proc.stdout)["findings"] if f["code"] == "KD405"]
    assert len(found) == 1, found
    assert found[0]["location"]["key"] == "s3.endpoint_url"
    assert found[0]["location"]["line"] == 5
    assert "127.0.0.1:9000" in found[0]["explanation"]
    step = runnable_part(found[0]["fix"])
    assert step == "export AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true"
    fixed = {**clean_env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}
    assert botocore_endpoints(fixed)["s3"] == "https://s3.amazonaws.com"
