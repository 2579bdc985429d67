"""``keydoctor rules [CODE]``: every rule in one table, or one rule's page, like ``ruff rule``."""

from __future__ import annotations

import argparse
import json

from keydoctor.commands.common import write_stdout
from keydoctor.errors import UsageError


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "code", nargs="?", help="a rule code (KD101) or name; all rules if left out"
    )
    parser.add_argument(
        "--format", "--output", dest="format", choices=("text", "json"), default="text"
    )


def run(args: argparse.Namespace) -> int:
    from keydoctor.checks.docs import fix_line, proof_status
    from keydoctor.registry import every_rule, family_of

    rules = every_rule()
    if args.code:
        wanted = args.code.strip()
        rule = rules.get(wanted.upper()) or next(
            (r for r in rules.values() if r.name == wanted.lower()), None
        )
        if rule is None:
            raise UsageError(f"no rule {wanted!r}; `keydoctor rules` lists them all")
        selected = [rule]
    else:
        selected = list(rules.values())
    if args.format == "json":
        items = [
            {
                "code": r.code,
                "name": r.name,
                "severity": r.severity.value,
                "category": r.category.value,
                "title": r.title,
                "source": family_of(r.code),
                "docs": r.docs,
                "fix": {
                    "kind": r.remedy.kind.value,
                    "keydoctor_fix": r.remedy.fix_name,
                    "unsafe": r.remedy.unsafe,
                    "proof": proof_status(r),
                },
            }
            for r in selected
        ]
        write_stdout(json.dumps(items if not args.code else items[0], indent=2) + "\n")
        return 0
    if args.code:
        r = selected[0]
        lines = [
            f"{r.code} {r.name}: {r.title}",
            f"severity {r.severity.value}, category {r.category.value}, from the "
            f"{family_of(r.code)}",
            "",
            r.docs,
            "",
            fix_line(r),
        ]
    else:
        lines = [
            f"{r.code}  {r.severity.value:8}  {r.category.value:18}  "
            f"{r.remedy.kind.value:13}  {r.title}"
            for r in selected
        ]
    write_stdout("\n".join(lines) + "\n")
    return 0
