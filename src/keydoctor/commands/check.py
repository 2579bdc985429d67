"""``keydoctor check``: the offline audit, then (unless ``--offline``) the live probes.

Online is the default: after the offline audit, keydoctor asks AWS (or the endpoint given
with ``--endpoint-url``) the questions of the troubleshooting pages, with the credentials
the audit resolved, and correlates both into one most likely root cause. The probes are
imported only on this path, so ``--offline`` never loads the network stack.
"""

from __future__ import annotations

import argparse

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


def run(args: argparse.Namespace) -> int:
    from keydoctor.examine import run_check
    from keydoctor.reporters import check_formatter

    _validate(args)
    plan = None
    if not args.offline:
        from keydoctor.probes.runner import ProbePlan

        plan = ProbePlan(
            buckets=tuple(dict.fromkeys(args.bucket)),
            key=args.key,
            write_test=args.write_test,
            expect_account=args.expect_account,
        )
    try:
        result = run_check(
            profile=args.profile,
            region=args.region,
            endpoint_url=args.endpoint_url,
            expect_account=args.expect_account,
            online=not args.offline,
            plan=plan,
            timeout=args.timeout,
            progress=progress,
        )
    finally:
        if not args.offline:
            progress_done()
    write_stdout(check_formatter(args.format, color=use_color()).format(result))
    return exit_code(list(result.findings), args.fail_on)
