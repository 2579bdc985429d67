"""KD4xx: the region and endpoint the SDK will use.

Regions are checked against botocore's own partition data (``partitions.json``), read as
plain JSON so that the offline path never imports botocore's endpoint machinery.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import shlex
from collections.abc import Iterator
from typing import Any

from keydoctor.checks.base import COMMAND, AuditContext, Rule
from keydoctor.model import Category, Finding, Location, Severity
from keydoctor.redact import mask_url
from keydoctor.shell import command, profile_args
from keydoctor.sources.files import unfold

NO_REGION = Rule(
    "KD401",
    "no-region",
    Severity.MEDIUM,
    Category.REGION_ENDPOINT,
    "No region configured",
    "Without a region most clients raise NoRegionError; S3 falls back to us-east-1 and "
    "buckets elsewhere answer with a redirect or 'must be addressed using the specified "
    "endpoint'.",
    remedy=COMMAND,
)
MALFORMED_REGION = Rule(
    "KD402",
    "malformed-region",
    Severity.HIGH,
    Category.REGION_ENDPOINT,
    "Region name is malformed",
    "Region names are lower case with hyphens (us-east-1). Underscores, capitals or spaces "
    "make the SDK build a wrong host name or sign for a region AWS rejects "
    "(AuthorizationHeaderMalformed, Could not connect to the endpoint URL).",
    remedy=COMMAND,
)
UNKNOWN_REGION = Rule(
    "KD403",
    "unknown-region",
    Severity.HIGH,
    Category.REGION_ENDPOINT,
    "No AWS partition knows this region",
    "The region is well formed but not in botocore's partition data, so calls go to a host "
    "that does not exist.",
    remedy=COMMAND,
)
REGION_VARS_DISAGREE = Rule(
    "KD404",
    "region-variables-disagree",
    Severity.MEDIUM,
    Category.REGION_ENDPOINT,
    "AWS_REGION and AWS_DEFAULT_REGION disagree",
    "boto3 and the AWS CLI v1 read AWS_DEFAULT_REGION; the AWS CLI v2 and the other SDKs read "
    "AWS_REGION first. Tools then talk to different regions.",
    remedy=COMMAND,
)
ENDPOINT_OVERRIDE = Rule(
    "KD405",
    "endpoint-override",
    Severity.INFO,
    Category.REGION_ENDPOINT,
    "Requests go to a custom endpoint",
    "An endpoint override is in effect; AWS keys sent there are unknown to that store, and "
    "that store's keys are unknown to AWS (InvalidAccessKeyId).",
    remedy=COMMAND,
)
OTHER_PARTITION = Rule(
    "KD406",
    "non-commercial-partition",
    Severity.INFO,
    Category.REGION_ENDPOINT,
    "Region is outside the commercial AWS partition",
    "China (cn-) and GovCloud (us-gov-) regions form separate partitions with separate "
    "accounts: keys of one never work in another.",
)
AWS_REGION_IGNORED = Rule(
    "KD407",
    "aws-region-ignored-by-boto3",
    Severity.MEDIUM,
    Category.REGION_ENDPOINT,
    "AWS_REGION is set but boto3 does not read it",
    "botocore (boto3, AWS CLI v1) reads AWS_DEFAULT_REGION and the profile's region; "
    "AWS_REGION alone leaves a Python program without a region.",
    remedy=COMMAND,
)

NO_VARIANT_ENDPOINT = Rule(
    "KD419",
    "no-fips-or-dualstack-endpoint",
    Severity.HIGH,
    Category.REGION_ENDPOINT,
    "FIPS or dual-stack endpoints are asked for where AWS has none",
    "`use_fips_endpoint` / `AWS_USE_FIPS_ENDPOINT` and `use_dualstack_endpoint` / "
    "`AWS_USE_DUALSTACK_ENDPOINT` make botocore send every request to a variant hostname "
    "(`sts-fips.us-east-1.amazonaws.com`, `s3.dualstack.eu-west-1.amazonaws.com`). Which "
    "variants exist is listed per service and region in botocore's `endpoints.json`: STS "
    "has FIPS endpoints only in the US and GovCloud regions, S3 in the US and Canada. "
    "Elsewhere botocore either raises EndpointVariantError before any request, or builds "
    "the hostname from the partition's template and the request fails with a DNS or "
    "connection error that never mentions the setting. Turn the setting off for that "
    "region (or use a region that has the endpoint).",
    remedy=COMMAND,
)
RULES = (
    NO_REGION,
    MALFORMED_REGION,
    UNKNOWN_REGION,
    REGION_VARS_DISAGREE,
    ENDPOINT_OVERRIDE,
    OTHER_PARTITION,
    AWS_REGION_IGNORED,
    NO_VARIANT_ENDPOINT,
)

# The services whose endpoints `check` and nearly every program call first.
VARIANT_SERVICES = ("sts", "s3")
_FLAGS = (
    ("fips", "AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint"),
    ("dualstack", "AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint"),
)


@functools.lru_cache(maxsize=2)
def _botocore_data(name: str) -> list[dict[str, Any]]:
    """The partitions of one of botocore's data files, or [] when it cannot be read.

    The file is found through the import system and read as plain JSON, so botocore
    itself is never imported: offline checks stay free of it.
    """
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        return []
    path = os.path.join(list(spec.submodule_search_locations)[0], "data", name)
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return []
    return list(data.get("partitions", []))


def _endpoints() -> list[dict[str, Any]]:
    """botocore's endpoints.json partitions (read only when a variant is asked for)."""
    return _botocore_data("endpoints.json")


def variant_endpoint(service: str, region: str, tags: frozenset[str]) -> str | None:
    """The hostname AWS lists for ``service`` in ``region`` with these variant tags.

    ``endpoints.json`` names a variant on the region's own entry when only some regions
    have it (STS's FIPS endpoints: four US regions), in the service's defaults when every
    region of the service has it (S3's dual-stack), and in the partition's defaults as a
    template for services that name none (STS's dual-stack ``api.aws``). So a variant
    exists when the region's entry or the service's defaults carry it, or when the
    partition's defaults do and the service lists that variant for no region at all; a
    combined variant (dual-stack FIPS) exists only when each part does on its own.
    None: no such endpoint.
    """
    for part in _endpoints():
        if region not in part.get("regions", {}) and not re.match(
            part.get("regionRegex", "^$"), region
        ):
            continue
        svc = part.get("services", {}).get(service, {})
        endpoints = svc.get("endpoints", {})
        key = region
        if svc.get("isRegionalized") is False and svc.get("partitionEndpoint"):
            key = str(svc["partitionEndpoint"])
        entry = endpoints.get(key)
        if entry is None or not tags:
            return None
        if len(tags) > 1 and any(
            variant_endpoint(service, region, frozenset({t})) is None for t in tags
        ):
            return None
        listed = any(
            frozenset(v.get("tags", [])) == tags
            for e in endpoints.values()
            for v in e.get("variants", [])
        )
        candidates = [*entry.get("variants", []), *svc.get("defaults", {}).get("variants", [])]
        if not listed:
            candidates += part.get("defaults", {}).get("variants", [])
        dns = str(part.get("dnsSuffix", ""))
        for variant in candidates:
            if frozenset(variant.get("tags", [])) == tags and variant.get("hostname"):
                return (
                    str(variant["hostname"])
                    .replace("{service}", service)
                    .replace("{region}", key)
                    .replace("{dnsSuffix}", str(variant.get("dnsSuffix", dns)))
                )
        return None
    return None


def _true(value: object) -> bool:
    """botocore's ensure_boolean: True, or a string that reads 'true' in any case."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _variant_flags(ctx: AuditContext) -> dict[str, tuple[str, Location]]:
    """Which variants are on, each with where: the variable wins over the profile."""
    on: dict[str, tuple[str, Location]] = {}
    cfg = ctx.environment.profile_config
    for tag, var, key in _FLAGS:
        if var in ctx.env:
            if _true(ctx.env[var]):
                on[tag] = (var, Location(kind="env", key=var))
        elif _true(cfg.get(key)):
            location = Location(
                kind="file",
                path=ctx.environment.config.path,
                profile=ctx.environment.profile,
                key=key,
            )
            on[tag] = (key, location)
    return on


def check_variant_endpoints(ctx: AuditContext) -> Iterator[Finding]:
    on = _variant_flags(ctx)
    used = [s for s in _region_sources(ctx) if s[1] != "AWS_REGION"]
    if not on or not used or region_problem(used[0][0]) is not None:
        return
    region = used[0][0]
    tags = frozenset(on)
    missing = [s for s in VARIANT_SERVICES if variant_endpoint(s, region, tags) is None]
    if not missing:
        return
    # Turn off as little as possible: one flag when the other alone has every endpoint.
    off = sorted(tags)
    if len(tags) == 2:
        for tag in sorted(tags):
            rest = tags - {tag}
            if all(variant_endpoint(s, region, rest) is not None for s in VARIANT_SERVICES):
                off = [tag]
                break
    names = {"fips": "FIPS", "dualstack": "dual-stack"}
    for tag in off:
        origin, location = on[tag]
        fix = (
            f"unset {origin}"
            if origin.startswith("AWS_")
            else command(
                "aws", "configure", "set", origin, "false", *profile_args(ctx.environment.profile)
            )
        )
        yield NO_VARIANT_ENDPOINT.finding(
            f"{origin} asks for {' and '.join(names[t] for t in sorted(tags))} endpoints, "
            f"and AWS lists none for {', '.join(s.upper() for s in missing)} in {region} "
            "(botocore's endpoints.json): botocore raises EndpointVariantError or sends the "
            "requests to a hostname that does not exist.",
            fix + f"   (or use a region that has {names[tag]} endpoints)",
            location,
        )


_WELL_FORMED = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-\d+$")


def partitions() -> list[dict[str, Any]]:
    """botocore's partitions.json, or an empty list when it cannot be found."""
    return _botocore_data("partitions.json")


def partition_of(region: str) -> str | None:
    for part in partitions():
        if region in part.get("regions", {}):
            return str(part["id"])
    for part in partitions():
        regex = part.get("regionRegex")
        if regex and re.match(regex, region):
            return str(part["id"])
    return None


def known_regions() -> list[str]:
    return sorted(r for p in partitions() for r in p.get("regions", {}) if not r.endswith("global"))


def normalise_region(value: str) -> str:
    return value.strip().lower().replace("_", "-").replace(" ", "-")


def nearest_region(value: str) -> str | None:
    """A region botocore knows that the value most likely means, or None.

    Only names from botocore's partition data come out of here, so the result is safe to
    put into a printed command; a value nothing resembles gives None, never a guess.
    """
    regions = known_regions()
    if not regions:
        return None
    corrected = normalise_region(value)
    if corrected in regions:
        return corrected
    if not re.fullmatch(r"[a-z0-9-]+", corrected):
        return None
    import difflib

    close = difflib.get_close_matches(corrected, regions, n=1, cutoff=0.7)
    return close[0] if close else None


def region_problem(value: str) -> tuple[Rule, str, str | None] | None:
    """The first problem with a region name, as (rule, explanation, valid replacement).

    The replacement is a region botocore knows, or None when nothing is close enough to
    suggest: then no command can be printed, only the advice to choose one.
    """
    shown = shown_value(value)
    suggestion = nearest_region(value)
    hint = f"; did you mean {suggestion}?" if suggestion else "."
    if value != normalise_region(value) or not _WELL_FORMED.match(value):
        if value.strip() != value and value.strip() == normalise_region(value):
            why = "has whitespace around it"
        elif "_" in value:
            why = "uses underscores"
        elif value != value.lower():
            why = "has capital letters"
        else:
            why = "is not of the form xx-name-N"
        return MALFORMED_REGION, f"The region {shown} {why}{hint}", suggestion
    regions = known_regions()
    if regions and value not in regions:
        return (
            UNKNOWN_REGION,
            f"No partition in botocore's data has a region {shown}{hint}",
            suggestion,
        )
    return None


def shown_value(value: str) -> str:
    """A region value fit for a message: quoted, and never longer than its first line."""
    first, folded = unfold(value)
    return repr(first) + (f" (and {folded} folded line(s), see KD314)" if folded else "")


def _region_sources(ctx: AuditContext) -> list[tuple[str, str, Location]]:
    env = ctx.env
    found: list[tuple[str, str, Location]] = []
    if ctx.region_flag:
        found.append((ctx.region_flag, "--region", Location(kind="flag", key="--region")))
    for var in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        if env.get(var):
            found.append((env[var], var, Location(kind="env", key=var)))
    region = ctx.environment.profile_config.get("region")
    if isinstance(region, str) and region:
        envm = ctx.environment
        # botocore lets the credentials file's settings win over the config file's.
        line = envm.credentials.line_of(envm.profile, "region")
        path = envm.credentials.path
        if line is None:
            path = envm.config.path
            line = next(
                (
                    e.line
                    for e in envm.config.entries
                    if e.key.lower() == "region" and _names_profile(e.section, envm.profile)
                ),
                None,
            )
        found.append(
            (
                region,
                f"profile [{envm.profile}] region",
                Location(kind="file", path=path, line=line, profile=envm.profile, key="region"),
            )
        )
    return found


def _names_profile(header: str, profile: str) -> bool:
    """Whether a config-file section header is read by botocore as ``profile``."""
    if header.strip() == "default":
        return profile == "default"
    try:
        parts = shlex.split(header)
    except ValueError:
        return False
    return len(parts) == 2 and parts[0] == "profile" and parts[1] == profile


def _fix_for(origin: str, corrected: str | None, profile: str) -> str:
    """The command that sets a valid region where ``origin`` set it.

    ``corrected`` must come from botocore's region list; without one the fix says how to
    choose instead of printing a command with an unvalidated value in it.
    """
    if corrected is None:
        where = (
            "--region"
            if origin == "--region"
            else origin
            if origin.startswith("AWS_")
            else command("aws", "configure", "set", "region", "REGION", *profile_args(profile))
        )
        return (
            "Choose the region your resources are in (e.g. us-east-1; aws account "
            f"list-regions lists them) and set it with: {where}"
        )
    if origin == "--region":
        return command("--region", corrected)
    if origin.startswith("AWS_"):
        return "export " + command(f"{origin}={corrected}")
    return command("aws", "configure", "set", "region", corrected, *profile_args(profile))


def check_region(ctx: AuditContext) -> Iterator[Finding]:
    sources = _region_sources(ctx)
    profile = ctx.environment.profile
    used = [s for s in sources if s[1] != "AWS_REGION"]
    if not used:
        if ctx.env.get("AWS_REGION"):
            yield AWS_REGION_IGNORED.finding(
                f"AWS_REGION={ctx.env['AWS_REGION']} is set, but boto3 and the "
                "AWS CLI v1 only read AWS_DEFAULT_REGION or the profile's region, so they have "
                "none.",
                _fix_for("AWS_DEFAULT_REGION", nearest_region(ctx.env["AWS_REGION"]), profile),
                Location(kind="env", key="AWS_REGION"),
            )
        else:
            yield NO_REGION.finding(
                "Neither --region, AWS_DEFAULT_REGION nor the profile's region is set.",
                _fix_for("profile", "us-east-1", profile) + "   (use your buckets' region)",
                None,
            )
    for value, origin, location in sources:
        if unfold(value)[1]:
            continue  # a folded line made this value; KD314 names that cause
        problem = region_problem(value)
        in_use = used and (value, origin, location) == used[0]
        if problem is not None:
            rule, why, corrected = problem
            fix = _fix_for(origin, corrected, profile)
            if (
                corrected is not None
                and location.path is not None
                and location.path == ctx.environment.credentials.path
            ):
                # botocore lets the credentials file's settings win over the config
                # file's, and `aws configure set region` writes only the config file:
                # the line in the credentials file itself must change.
                fix = (
                    f"Edit {location.path}"
                    + (f" line {location.line}" if location.line else "")
                    + f" to read: region = {corrected}   (aws configure set writes only the "
                    "config file, and this line would still win)"
                )
            yield rule.finding(
                f"{why} (set by {origin}"
                + (
                    "; this is the region the SDK uses)"
                    if in_use
                    else "; not the region boto3 uses now)"
                ),
                fix,
                location,
                severity=None if in_use else Severity.MEDIUM,
            )
        elif in_use:
            part = partition_of(value)
            if part and part != "aws":
                yield OTHER_PARTITION.finding(
                    f"{value} belongs to the {part} partition; only keys created in that "
                    "partition work there.",
                    "Nothing to fix if these keys were created there.",
                    location,
                )
    env = ctx.env
    a, b = env.get("AWS_DEFAULT_REGION"), env.get("AWS_REGION")
    if a and b and a != b:
        yield REGION_VARS_DISAGREE.finding(
            f"AWS_DEFAULT_REGION={a} but AWS_REGION={b}: boto3 uses {a}, the AWS CLI v2 and "
            f"other SDKs use {b}.",
            _fix_for("AWS_DEFAULT_REGION", nearest_region(b), profile) + "  (make both the same)",
            Location(kind="env", key="AWS_REGION"),
        )


def check_endpoints(ctx: AuditContext) -> Iterator[Finding]:
    env = ctx.env
    if env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true":
        return
    overrides: list[tuple[str, str, Location]] = []
    for name, value in sorted(env.items()):
        if name == "AWS_ENDPOINT_URL" or name.startswith("AWS_ENDPOINT_URL_"):
            overrides.append((name, value, Location(kind="env", key=name)))
    profile_cfg = ctx.environment.profile_config
    if isinstance(profile_cfg.get("endpoint_url"), str):
        overrides.append(
            (
                "endpoint_url",
                profile_cfg["endpoint_url"],
                Location(
                    kind="file",
                    path=ctx.environment.config.path,
                    profile=ctx.environment.profile,
                    key="endpoint_url",
                ),
            )
        )
    for name, value, location in overrides:
        yield ENDPOINT_OVERRIDE.finding(
            f"{name}={mask_url(value)} sends requests there instead of AWS; keys must be "
            "ones that endpoint knows.",
            f"unset {name}"
            if name.startswith("AWS_")
            else "Remove endpoint_url from the profile if AWS is meant",
            location,
        )
    yield from _services_overrides(ctx)


def _services_overrides(ctx: AuditContext) -> Iterator[Finding]:
    """KD405 for a profile's ``services = NAME`` and the ``[services NAME]`` section.

    botocore reads per-service ``endpoint_url`` settings from the section the profile
    names (``s3 =`` then an indented ``endpoint_url = …``); one service then goes to
    another endpoint while the rest go to AWS, so keys that one side knows fail at the
    other. ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`` makes botocore ignore them all.
    """
    name = ctx.environment.profile_config.get("services")
    parsed = ctx.environment.config.parsed or {}
    section = parsed.get("services", {}).get(name) if isinstance(name, str) else None
    if not isinstance(section, dict):
        return
    profile = ctx.environment.profile
    header = "[default]" if profile == "default" else f"[profile {profile}]"
    for service, settings in sorted(section.items()):
        if not isinstance(settings, dict) or not isinstance(settings.get("endpoint_url"), str):
            continue
        yield ENDPOINT_OVERRIDE.finding(
            f"{header} has services = {name}, and [services {name}] sends {service} requests "
            f"to {mask_url(settings['endpoint_url'])} instead of AWS (other services still "
            "go to AWS); keys must be ones that endpoint knows.",
            "export AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true   (botocore then ignores every "
            f"configured endpoint; or remove services = {name} from {header} if AWS is meant)",
            Location(
                kind="file",
                path=ctx.environment.config.path,
                line=ctx.environment.config.line_of(f"services {name}"),
                profile=profile,
                key=f"{service}.endpoint_url",
            ),
        )


CHECKS = (check_region, check_endpoints, check_variant_endpoints)
