"""Flags and output habits shared by every command (the AWS CLI's names)."""

from __future__ import annotations

import argparse
import os
import sys

from keydoctor.model import Finding, Severity
from keydoctor.reporters import FORMATS


def add_output_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        "--output",
        dest="format",
        choices=FORMATS,
        default="text",
        help="output format (--output is the AWS CLI's name for it)",
    )
    parser.add_argument(
        "--fail-on",
        choices=[s.value for s in Severity],
        default="high",
        help="exit 1 when a finding is at or above this severity (default: high)",
    )


def add_aws_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", help="profile to audit (else AWS_PROFILE, else default)")
    parser.add_argument("--region", help="region the SDK call would use")
    parser.add_argument("--endpoint-url", dest="endpoint_url", help="custom endpoint")


def use_color(stream: object = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    if "NO_COLOR" in os.environ:
        return False
    target = stream if stream is not None else sys.stdout
    isatty = getattr(target, "isatty", None)
    return bool(isatty and isatty())


def exit_code(findings: list[Finding], fail_on: str) -> int:
    threshold = Severity(fail_on)
    return 1 if any(f.severity >= threshold for f in findings) else 0


def write_stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def progress(message: str) -> None:
    """A progress line on stderr, only where a person watches it."""
    if sys.stderr.isatty():
        sys.stderr.write(f"\r\033[K{message}")
        sys.stderr.flush()


def progress_done() -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()
