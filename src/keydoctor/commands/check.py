"""``keydoctor check``: the offline audit, then (unless ``--offline``) the live probes.

Online is the default: after the offline audit, keydoctor asks AWS (or the endpoint given
with ``--endpoint-url``) the questions of the troubleshooting pages, with the credentials
the audit resolved, and correlates both into one most likely root cause. The probes are
imported only on this path, so ``--offline`` never loads the network stack.
"""

from __future__ import annotations

import argparse
from typing import Any

from keydoctor.commands.common import (
    add_aws_flags,
    add_output_flags,
    exit_code,
    progress,
    progress_done,
    use_color,
    write_stdout,
)


def register(parser: argparse.ArgumentParser) -> None:
    add_aws_flags(parser)
    add_output_flags(parser)
    parser.add_argument(
        "--offline", action="store_true", help="do not contact AWS; audit local sources only"
    )
    parser.add_argument(
        "--expect-account",
        metavar="ID",
        help="12-digit account the keys should belong to; a mismatch is a finding",
    )
    parser.add_argument(
        "--bucket",
        action="append",
        default=[],
        metavar="B",
        help="bucket to test: its region, s3:ListBucket, and --key (repeatable)",
    )
    parser.add_argument(
        "--key", metavar="K", help="object (or prefix ending in /) to test s3:GetObject on"
    )
    parser.add_argument(
        "--write-test",
        action="store_true",
        help="also test s3:PutObject by writing, then deleting, one empty object",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=2.5,
        metavar="S",
        help="connect and read timeout of each probe, in seconds (default 2.5)",
    )


def _validate(args: argparse.Namespace) -> None:
    from keydoctor.errors import UsageError

    if args.expect_account is not None and not (
        args.expect_account.isdigit() and len(args.expect_account) == 12
    ):
        raise UsageError("--expect-account takes a 12-digit AWS account id")
    if not 0 < args.timeout <= 60:
        raise UsageError("--timeout takes a number of seconds between 0 and 60")
    if (args.key or args.write_test) and not args.bucket:
        raise UsageError("--key and --write-test need --bucket")
    if args.offline and (args.bucket or args.write_test):
        raise UsageError("--bucket and --write-test ask AWS; they cannot be used with --offline")
    for bucket in args.bucket:
        if not bucket or "/" in bucket or " " in bucket:
            raise UsageError(f"--bucket takes a bucket name, not {bucket!r}")


def _text_blocks(report: Any) -> list[list[str]]:
    """The identity and the probes, as lines for the text reporter."""
    blocks: list[list[str]] = []
    identity = report.identity
    who = ["Identity (STS GetCallerIdentity)"]
    if identity is not None:
        who.append(f"  arn:       {identity.arn}")
        who.append(f"  account:   {identity.account}")
        who.append(f"  principal: {identity.principal_type}")
    else:
        first = report.probes[0] if report.probes else None
        who.append(f"  unknown: {first.answer if first else 'not asked'}")
    blocks.append(who)
    lines = [f"Probes ({len(report.probes)}, region {report.region_used})"]
    for probe in report.probes:
        mark = {"ok": "ok  ", "denied": "DENY", "not-found": "404 "}.get(probe.outcome, "FAIL")
        if probe.outcome == "skipped":
            mark = "skip"
        lines.append(f"  {mark} {probe.name:38} {probe.answer}  ({probe.duration_ms:.0f} ms)")
    if report.skew_seconds is not None:
        lines.append(f"  clock: local time differs from AWS's by {report.skew_seconds:+.0f} s")
    blocks.append(lines)
    return blocks


def run(args: argparse.Namespace) -> int:
    from keydoctor.audit import run_audit, sort_findings
    from keydoctor.reporters import render
    from keydoctor.reporters.document import build_document

    _validate(args)
    result = run_audit(
        profile=args.profile,
        region=args.region,
        endpoint_url=args.endpoint_url,
        expect_account=args.expect_account,
    )
    findings = list(result.findings)
    document = build_document(result)
    if not args.offline:
        document.update(_online(args, result, findings))
        findings = sort_findings(findings)
        from keydoctor.reporters.document import findings_list, summary

        document["findings"] = findings_list(findings)
        document["summary"] = summary(findings)
    write_stdout(render(args.format, document, result.redactor, color=use_color()))
    return exit_code(findings, args.fail_on)


def _online(args: argparse.Namespace, result: Any, findings: list[Any]) -> dict[str, Any]:
    """Run the probes, add their findings to ``findings``, return the document's new keys."""
    from keydoctor.diagnosis import diagnose, weigh_predictions
    from keydoctor.probes.runner import ProbePlan, run_probes

    resolution = result.resolution
    offline = list(findings)
    added: dict[str, Any] = {"mode": "online", "identity": None, "probes": []}
    if resolution.winner is None:
        diagnosis, causes = diagnose(
            offline, resolution, None, region=result.region, endpoint_url=args.endpoint_url
        )
        added["probes_skipped"] = "no usable credentials were resolved; AWS was not asked"
        if args.format == "text":
            added["text_blocks"] = [["Probes", "  AWS was not asked: no usable credentials."]]
        added["diagnosis"] = diagnosis
        added["causes"] = causes
        return added
    for name in ("AWS_SECRET_ACCESS_KEY",):  # probes may echo nothing, but be sure
        result.redactor.add_secret(result.environment.env.get(name))
    progress("asking AWS ...")
    try:
        report = run_probes(
            resolution.winner,
            region=result.region,
            profile=resolution.profile,
            explicit_profile=result.environment.explicit_profile,
            endpoint_url=args.endpoint_url,
            plan=ProbePlan(
                buckets=tuple(dict.fromkeys(args.bucket)),
                key=args.key,
                write_test=args.write_test,
                expect_account=args.expect_account,
            ),
            timeout=args.timeout,
            progress=progress,
            settings=result.environment.profile_config,
        )
    finally:
        progress_done()
    # What the endpoint answered outranks what the audit predicted (the exit code too).
    offline = weigh_predictions(offline, report, endpoint_url=args.endpoint_url)
    findings[:] = [*offline, *report.findings]
    diagnosis, causes = diagnose(
        offline, resolution, report, region=result.region, endpoint_url=args.endpoint_url
    )
    added["identity"] = report.identity.to_dict() if report.identity else None
    added["probes"] = report.probe_dicts()
    added["clock_skew_seconds"] = (
        round(report.skew_seconds, 1) if report.skew_seconds is not None else None
    )
    added["bucket_regions"] = report.bucket_regions
    added["diagnosis"] = diagnosis
    added["causes"] = causes
    if args.format == "text":
        added["text_blocks"] = _text_blocks(report)
    return added
