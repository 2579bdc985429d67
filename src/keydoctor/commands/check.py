"""``keydoctor check``: the offline audit, then (unless ``--offline``) the live probes."""

from __future__ import annotations

import argparse

from keydoctor.commands.common import (
    add_aws_flags,
    add_output_flags,
    exit_code,
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


def run(args: argparse.Namespace) -> int:
    from keydoctor.audit import run_audit
    from keydoctor.errors import UsageError
    from keydoctor.reporters import render
    from keydoctor.reporters.document import build_document

    if args.expect_account is not None and not (
        args.expect_account.isdigit() and len(args.expect_account) == 12
    ):
        raise UsageError("--expect-account takes a 12-digit AWS account id")
    result = run_audit(
        profile=args.profile,
        region=args.region,
        endpoint_url=args.endpoint_url,
        expect_account=args.expect_account,
    )
    document = build_document(result)
    findings = result.findings
    write_stdout(render(args.format, document, result.redactor, color=use_color()))
    return exit_code(findings, args.fail_on)
