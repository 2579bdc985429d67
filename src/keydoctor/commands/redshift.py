"""``keydoctor redshift``: check COPY/UNLOAD statements before the cluster runs them."""

from __future__ import annotations

import argparse
import sys

from keydoctor.commands.common import add_output_flags, exit_code, use_color, write_stdout


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sql", nargs="?", help="the statement(s); '-' or nothing reads stdin")
    parser.add_argument("--file", "-f", metavar="F", help="read the statements from a file")
    add_output_flags(parser)
    parser.add_argument(
        "--offline", action="store_true", help="check the text only; make no request to AWS"
    )
    parser.add_argument(
        "--endpoint-url",
        dest="endpoint_url",
        help="custom endpoint for S3, STS and IAM (tests, emulators)",
    )
    parser.add_argument(
        "--cluster-region",
        metavar="REGION",
        help="the cluster's region, compared with the bucket's",
    )
    parser.add_argument(
        "--write-test",
        action="store_true",
        help="for UNLOAD: write and delete one empty object under the prefix",
    )
    parser.add_argument(
        "--profile", help="your own profile, used to look at IAM roles (never for keys)"
    )


def read_input(args: argparse.Namespace) -> tuple[str, str, bool]:
    """The text, where it came from, and whether it was cut at the size limit."""
    from keydoctor.errors import InputError, UsageError
    from keydoctor.redshift.report import MAX_INPUT_BYTES

    if args.sql not in (None, "-") and args.file:
        raise UsageError("give the SQL as an argument or with --file, not both")
    if args.file:
        try:
            with open(args.file, "rb") as handle:
                raw = handle.read(MAX_INPUT_BYTES + 1)
        except OSError as exc:
            raise InputError(
                f"cannot read {args.file}: {exc.strerror or type(exc).__name__}"
            ) from None
        source = args.file
    elif args.sql not in (None, "-"):
        raw = args.sql.encode("utf-8", errors="surrogatepass")
        source = "<argument>"
    else:
        if sys.stdin is None or (args.sql is None and sys.stdin.isatty()):
            raise UsageError("give the SQL as an argument, with --file, or on stdin")
        raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        source = "<stdin>"
    truncated = len(raw) > MAX_INPUT_BYTES
    text = raw[:MAX_INPUT_BYTES].decode("utf-8", errors="replace")
    return text, source, truncated


def run(args: argparse.Namespace) -> int:
    from keydoctor.errors import UsageError
    from keydoctor.redshift.checks import region_is_valid
    from keydoctor.redshift.report import check_sql, render

    if args.cluster_region and not region_is_valid(args.cluster_region):
        raise UsageError("--cluster-region takes a region code such as us-west-2")
    text, source, truncated = read_input(args)
    settings = None
    if not args.offline:
        from keydoctor.redshift.probe import ProbeSettings

        settings = ProbeSettings(
            endpoint_url=args.endpoint_url,
            cluster_region=args.cluster_region,
            write_test=args.write_test,
            profile=args.profile,
        )
    result = check_sql(text, source=source, truncated=truncated, probe=settings)
    write_stdout(render(args.format, result, color=use_color()))
    return exit_code(result.all_findings, args.fail_on)
