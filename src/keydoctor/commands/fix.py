"""``keydoctor fix``: show the plan of each fix; ``--apply`` carries out the safe ones.

Without ``--apply`` nothing changes: the output is every file diff and every AWS call the
fixes would make. ``--apply`` runs the safe fixes; ``--unsafe`` adds the ones that can
change which credentials are used. Every output line passes the Redactor, which knows every
secret met in this run, including a new key's secret the moment it is created.

The preview ends with a plan hash; ``--apply --plan HASH`` applies only if the fixes
planned again, under the lock, hash the same, so that what is applied is exactly what was
read. ``--apply`` alone plans again and applies that (a file changed by someone who does
not take keydoctor's lock is still refused by each write).

Exit codes: 0 nothing to fix, or every fix applied; 1 fixes are pending (a preview), or an
unsafe one was skipped for want of ``--unsafe``; 2 a fix failed (its steps were undone),
could not run as planned, or the plan no longer matches ``--plan``.
"""

from __future__ import annotations

import argparse
import json
import re
from typing import Any

from keydoctor.commands.common import write_stdout

FIXES = ("tidy", "rotate-key", "set-region", "move-keys")


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "name",
        nargs="?",
        choices=FIXES,
        help="the fix to plan (default: every fix the current findings call for)",
    )
    parser.add_argument("--apply", action="store_true", help="carry out the plan")
    parser.add_argument(
        "--unsafe",
        action="store_true",
        help="with --apply, also run fixes that can change which credentials are used",
    )
    parser.add_argument("--profile", help="profile to fix (else AWS_PROFILE, else default)")
    parser.add_argument(
        "--endpoint-url",
        dest="endpoint_url",
        help="custom endpoint for the AWS calls (IAM, STS, S3)",
    )
    parser.add_argument("--bucket", help="set-region: the bucket whose region the profile needs")
    parser.add_argument(
        "--delete-old",
        dest="delete_old",
        action="store_true",
        help="rotate-key: delete the old key after the new one is verified",
    )
    parser.add_argument(
        "--rollback",
        action="store_true",
        help="rotate-key: undo an interrupted rotation (delete the key it made) instead of "
        "finishing it",
    )
    parser.add_argument(
        "--logs",
        action="append",
        default=[],
        metavar="PATH",
        help="rotate-key: refuse if these CloudTrail/S3 logs (folder or s3://bucket/prefix) "
        "show the key used from another host (repeatable)",
    )
    parser.add_argument(
        "--logs-days",
        dest="logs_days",
        type=int,
        default=30,
        metavar="N",
        help="rotate-key --logs: how many days back to look (default 30)",
    )
    parser.add_argument(
        "--this-host",
        dest="this_host",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="rotate-key --logs: an address of this machine as AWS sees it (behind NAT)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="rotate-key --logs: rotate even if the logs show the key used elsewhere",
    )
    parser.add_argument(
        "--plan",
        metavar="HASH",
        help="with --apply: apply only if the plan is still the one previewed with this hash",
    )
    parser.add_argument(
        "--format",
        "--output",
        dest="format",
        choices=("text", "json"),
        default="text",
        help="output format (--output: the AWS CLI's name)",
    )


def _redactor(environ: dict[str, str], profile: str | None) -> Any:
    from keydoctor.audit import collect_secrets
    from keydoctor.fixes.tidy import clean_value
    from keydoctor.sources.chain import gather, resolve

    environment = gather(environ, profile)
    redactor = collect_secrets(environment, resolve(environment))
    for shared in (environment.config, environment.credentials):
        for entry in shared.entries:
            key = entry.key.lower()
            if "secret" in key or "token" in key:
                redactor.add_secret(clean_value(key, entry.raw_value))
            elif "access_key" in key:
                redactor.add_key_id(clean_value(key, entry.raw_value))
    return redactor


def _plan_dict(plan: Any) -> dict[str, Any]:
    from keydoctor.fixes.plan import FileWrite

    return {
        "name": plan.name,
        "safety": plan.safety.value,
        "summary": plan.summary,
        "blocked": plan.blocked,
        "steps": [step.preview() for step in plan.steps],
        "diffs": [
            {"path": s.path, "diff": s.diff()} for s in plan.steps if isinstance(s, FileWrite)
        ],
        "notes": list(plan.notes),
    }


def _outcome_dict(outcome: Any) -> dict[str, Any]:
    return {
        "name": outcome.plan.name,
        "applied": outcome.applied,
        "skipped": outcome.skipped,
        "error": outcome.error,
        "log": outcome.log,
        "backups": outcome.backups,
        "rollback_errors": outcome.rollback_errors,
    }


def _text(
    plans: list[dict[str, Any]], outcomes: list[dict[str, Any]] | None, digest: str | None = None
) -> str:
    out: list[str] = []
    active = [p for p in plans if p["steps"] or p["blocked"] or p["notes"]]
    if not active:
        return "keydoctor fix: nothing to fix.\n"
    for plan in active:
        out.append(f"== {plan['name']} [{plan['safety']}]: {plan['summary']}")
        if plan["blocked"]:
            out.append(f"  cannot run: {plan['blocked']}")
        if plan["steps"]:
            out.append("  steps:")
            for number, step in enumerate(plan["steps"], start=1):
                first, *rest = step.splitlines()
                out.append(f"    {number}. {first}")
                out.extend(f"       {line.strip()}" for line in rest)
        for diff in plan["diffs"]:
            if diff["diff"]:
                out.append(f"  diff of {diff['path']}:")
                out.extend(f"    {line}" for line in diff["diff"].splitlines())
        if plan["notes"]:
            out.append("  notes:")
            out.extend(f"    - {note}" for note in plan["notes"])
        out.append("")
    if outcomes is None:
        if not any(p["steps"] for p in active):
            return "\n".join(out) + "\nDry run: nothing was changed.\n"
        unsafe = any(p["safety"] == "unsafe" and p["steps"] for p in active)
        out.append(
            "Dry run: nothing was changed. Run with --apply to carry out the safe fixes"
            + (", with --apply --unsafe to include the unsafe ones." if unsafe else ".")
        )
        if digest is not None:
            out.append(
                f"Plan hash: {digest} (add --plan {digest} to --apply to apply exactly "
                "this plan, or nothing if the files change meanwhile)"
            )
        return "\n".join(out) + "\n"
    out.append("Result:")
    for outcome in outcomes:
        if outcome["applied"] and outcome["error"]:
            state = f"applied, then failed: {outcome['error']}"
        elif outcome["applied"]:
            state = "applied"
        elif outcome["skipped"]:
            state = "skipped (unsafe: add --unsafe to apply it)"
        else:
            state = f"FAILED: {outcome['error']}"
            if outcome["log"]:
                state += "; everything it did was undone"
        out.append(f"  {outcome['name']}: {state}")
        out.extend(f"    {line}" for line in outcome["log"])
        for problem in outcome["rollback_errors"]:
            out.append(f"    could not undo: {problem}")
        if outcome["backups"]:
            out.append("    backups: " + ", ".join(outcome["backups"]))
    return "\n".join(out) + "\n"


def run(args: argparse.Namespace) -> int:
    from keydoctor.errors import UsageError
    from keydoctor.fixes import apply_plans, lock_paths, plan_fixes
    from keydoctor.fixes.lock import holding
    from keydoctor.fixes.plan import FixError, plan_hash
    from keydoctor.sources.chain import audited_environment

    if args.plan is not None and not args.apply:
        raise UsageError("--plan HASH goes with --apply (the preview prints the hash)")
    wanted = args.plan.strip().lower() if args.plan is not None else None
    if wanted is not None and not re.fullmatch(r"[0-9a-f]{12}", wanted):
        # Not echoed: whatever was pasted there may be anything, a secret included.
        raise UsageError("--plan takes the 12-hex-digit plan hash the preview prints")
    if args.rollback and args.name != "rotate-key":
        raise UsageError("--rollback goes with rotate-key (it undoes an interrupted rotation)")
    if args.logs and args.name != "rotate-key":
        raise UsageError("--logs goes with rotate-key (it checks who still uses the key)")
    if args.logs_days < 1:
        raise UsageError("--logs-days takes a number of days, 1 or more")
    log_check = None
    if args.logs:
        from keydoctor.fixes.logcheck import LogCheck

        log_check = LogCheck(
            tuple(args.logs),
            days=args.logs_days,
            force=args.force,
            this_host=tuple(args.this_host),
            profile=args.profile,
            endpoint_url=args.endpoint_url,
        )
    environ = audited_environment()
    names = [args.name] if args.name else []

    def plan() -> tuple[Any, list[Any]]:
        redactor = _redactor(environ, args.profile)
        plans = plan_fixes(
            names,
            environ=environ,
            profile=args.profile,
            bucket=args.bucket,
            endpoint_url=args.endpoint_url,
            delete_old=args.delete_old,
            rollback=args.rollback,
            redactor=redactor,
            log_check=log_check,
        )
        return redactor, plans

    outcomes = None
    if args.apply:
        # Read, plan, check, back up and replace under one lock: no other keydoctor fix
        # can change a file between this one's plan and its write.
        with holding(lock_paths(environ)):
            redactor, plans = plan()
            digest = plan_hash(plans)
            if wanted is not None and wanted != digest:
                raise FixError(
                    f"the plan is now {digest or 'empty (nothing to fix)'}, not {wanted}: the "
                    "files changed since the preview; nothing was changed. Preview again and "
                    "apply the new plan"
                )
            outcomes = apply_plans(plans, allow_unsafe=args.unsafe)
    else:
        redactor, plans = plan()
        digest = plan_hash(plans)
    plan_docs = [_plan_dict(p) for p in plans]
    outcome_docs: list[dict[str, Any]] | None = None
    code = 1 if any(p.steps or p.blocked for p in plans) else 0
    if outcomes is not None:
        outcome_docs = [_outcome_dict(o) for o in outcomes]
        if any(o.error and not o.skipped for o in outcomes):
            code = 2
        elif any(o.skipped for o in outcomes):
            code = 1
        else:
            code = 0
    # Values are redacted before they are serialised: a secret that JSON escapes (a tab,
    # a quote) would no longer be found in the serialised text.
    from keydoctor.redact import redact_tree

    document = redact_tree(
        {
            "dry_run": not args.apply,
            "plan_hash": digest,
            "plans": plan_docs,
            "outcomes": outcome_docs,
        },
        redactor.scrub,
    )
    if args.format == "json":
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    else:
        text = redactor.scrub(_text(document["plans"], document["outcomes"], digest))
    write_stdout(text)
    return code
