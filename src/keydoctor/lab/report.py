"""The lab's results as text for a person or as one JSON object for a program.

Both forms receive finished outcomes and return a string. Everything shown comes from
the scenario's programs, already masked by keydoctor's own reporters (the diagnosis) or
by :func:`keydoctor.redact.scrub_patterns` (boto3's error line), and everything goes
through it once more on the way out: the text whole, the JSON value by value before it is
serialised.
"""

from __future__ import annotations

import json
import shlex
import textwrap
from collections.abc import Sequence
from typing import Any

from keydoctor import __version__
from keydoctor.lab import fixit
from keydoctor.lab.runner import JUDGED_OFFLINE, JUDGED_REDSHIFT, Outcome
from keydoctor.redact import redact_tree, scrub_patterns

WIDTH = 100
LABEL = 11  # width of the label column


def display_command(command: Sequence[str]) -> str:
    """``python -m keydoctor check ...`` as a person types it: ``keydoctor check ...``."""
    args = list(command)
    if len(args) >= 3 and args[1:3] == ["-m", "keydoctor"]:
        args = ["keydoctor", *args[3:]]
    return " ".join(shlex.quote(a) for a in args)


def outcome_dict(outcome: Outcome, check_command: str | None = None) -> dict[str, Any]:
    scenario = outcome.scenario
    cause = outcome.cause
    shown_cause = None
    if cause is not None:
        shown_cause = {
            key: cause.get(key)
            for key in ("category", "title", "explanation", "fix", "evidence", "code", "severity")
            if cause.get(key) is not None
        }
    return {
        "name": scenario.name,
        "title": scenario.title,
        "seed": scenario.seed,
        "story": scenario.story,
        "expected": outcome.expected,
        "got": outcome.got,
        "matched": outcome.matched,
        "expected_fix_says": list(scenario.fix_says),
        "fix_said": outcome.fix_said,
        "expected_exit": scenario.exit_code,
        "exit_ok": outcome.exit_ok,
        "passed": outcome.passed,
        "failures": outcome.failures,
        "judged_on": outcome.judged,
        "application": {
            "call": outcome.call,
            "exit": outcome.app_exit,
            "output": outcome.app_output,
        },
        "keydoctor": {
            "command": check_command,
            "exit": outcome.check_exit,
            "cause": shown_cause,
        },
        "fix": None
        if outcome.fix is None
        else {"expected": outcome.expected_fix, "ok": outcome.fix_ok, **outcome.fix.as_dict()},
        "notes": list(outcome.notes),
        "error": outcome.error,
        "seconds": round(outcome.seconds, 3),
    }


def summary(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Counts, and the scenarios that failed (a wrong diagnosis or a wrong fix-step end)."""
    failed = [o.scenario.name for o in outcomes if not o.passed]
    statuses = [o.fix.status for o in outcomes if o.fix is not None]
    return {
        "total": len(outcomes),
        "matched": sum(1 for o in outcomes if o.matched),
        "fixed": statuses.count(fixit.FIXED),
        "manual": statuses.count(fixit.MANUAL),
        "passed": len(outcomes) - len(failed),
        "failed": failed,
    }


def render_json(
    outcomes: Sequence[Outcome],
    *,
    endpoint: str | None,
    seconds: float,
    commands: dict[str, str],
) -> str:
    document = {
        "tool": "keydoctor",
        "version": __version__,
        "lab": {"endpoint": endpoint, "seconds": round(seconds, 3)},
        "scenarios": [outcome_dict(o, commands.get(o.scenario.name)) for o in outcomes],
        "summary": summary(outcomes),
    }
    # Masked value by value: a scrub of the serialised text could miss an escaped secret.
    masked = redact_tree(document, scrub_patterns)
    return json.dumps(masked, indent=2, ensure_ascii=False) + "\n"


def _field(label: str, text: str | None) -> list[str]:
    if not text:
        return []
    lines: list[str] = []
    for index, paragraph in enumerate(str(text).splitlines() or [""]):
        wrapped = textwrap.wrap(
            paragraph, width=WIDTH - LABEL - 2, break_long_words=False, break_on_hyphens=False
        ) or [""]
        for number, line in enumerate(wrapped):
            head = label if index == 0 and number == 0 else ""
            lines.append(f"  {head:<{LABEL}}{line}")
    return lines


def render_outcome(outcome: Outcome, check_command: str | None = None) -> str:
    scenario = outcome.scenario
    verdict = "PASS" if outcome.passed else "FAIL"
    lines = [f"{verdict}  {scenario.name}: {scenario.title}  ({outcome.seconds:.1f}s)"]
    lines += _field("story", scenario.story)
    lines += _field("seed", scenario.seed)
    if outcome.call is not None:
        lines += _field("sql" if outcome.judged == JUDGED_REDSHIFT else "boto3", outcome.call)
        lines += _field("", outcome.app_output or "(no output)")
    if check_command:
        lines += _field("keydoctor", check_command)
    cause = outcome.cause
    if outcome.error:
        lines += _field("error", outcome.error)
    elif cause is None and outcome.judged == JUDGED_OFFLINE:
        lines += _field("diagnosis", "no cause named (no finding at high or above)")
    elif cause is None:
        lines += _field("diagnosis", "no cause: keydoctor finds the credentials in working order")
    else:
        code = f" [{cause['code']}]" if cause.get("code") else ""
        lines += _field("diagnosis", f"{cause.get('category')}{code}: {cause.get('title')}")
        lines += _field("", cause.get("explanation"))
        lines += _field("fix", cause.get("fix"))
        evidence = cause.get("evidence")
        if isinstance(evidence, list):
            for item in evidence:
                lines += _field("evidence", str(item))
        elif evidence:
            lines += _field("evidence", str(evidence))
    judged = outcome.judged
    if judged == JUDGED_OFFLINE:
        judged += " (this keydoctor check reports no live diagnosis: never a match)"
    expected = outcome.expected or "no cause (healthy)"
    got = outcome.got or "no cause"
    lines += _field("expected", f"{expected}; got {got}; judged on the {judged}")
    for reason in outcome.failures:
        lines += _field("FAILED", reason)
    for note in outcome.notes:
        lines += _field("note", note)
    lines += _fix_lines(outcome)
    return "\n".join(lines)


def _fix_lines(outcome: Outcome) -> list[str]:
    """The fix-it step: the plan and its diff, the result, the proof; or the manual commands."""
    fix = outcome.fix
    if fix is None:
        return []
    lines: list[str] = []
    if fix.status == fixit.NOTHING:
        return _field("fix it", "nothing to fix")
    if fix.status == fixit.MANUAL:
        lines += _field("fix it", "manual: keydoctor fix has no automatic fix for this; run")
        for command in fix.manual:
            lines += _field("", f"- {command}")
        if fix.note:
            lines += _field("", f"({fix.note})")
        if fix.proof is not None:
            lines += _field("proof", f"{fix.proof}: {fix.proof_output or '(no output)'}")
    else:
        for command in fix.commands:
            lines += _field("fix it", command)
        for plan in fix.as_dict()["plans"]:
            lines += _field("plan", f"{plan['name']} [{plan['safety']}]: {plan['summary']}")
            if plan.get("blocked"):
                lines += _field("", f"cannot run: {plan['blocked']}")
            for diff in plan["diffs"]:
                lines += [f"  {'':<{LABEL}}{line}" for line in diff["diff"].splitlines()]
        for applied in fix.outcomes:
            state = (
                "applied"
                if applied.get("applied")
                else (
                    "skipped (unsafe)"
                    if applied.get("skipped")
                    else f"FAILED: {applied.get('error')}"
                )
            )
            lines += _field("", f"{applied.get('name')}: {state}")
        if fix.error:
            lines += _field("", f"error: {fix.error}")
        if fix.proof is not None:
            lines += _field("proof", f"{fix.proof} again: {fix.proof_output or '(no output)'}")
        lines += _field("", "FIXED" if fix.status == fixit.FIXED else "NOT FIXED")
    if not outcome.fix_ok:
        lines += _field("", f"the lab expected the fix step to end: {outcome.expected_fix}")
    return lines


def render_text(
    outcomes: Sequence[Outcome],
    *,
    endpoint: str | None,
    seconds: float,
    commands: dict[str, str],
) -> str:
    blocks = [f"keydoctor lab: {len(outcomes)} scenario(s) on the AWS emulator at {endpoint}"]
    blocks += [render_outcome(o, commands.get(o.scenario.name)) for o in outcomes]
    result = summary(outcomes)
    tail = f"{result['matched']}/{result['total']} diagnosed as expected"
    if any(o.fix is not None for o in outcomes):
        tail += f", {result['fixed']} fixed and proved, {result['manual']} manual"
    tail += f" in {seconds:.1f}s"
    if result["failed"]:
        tail += "; failed: " + ", ".join(result["failed"])
    blocks.append(tail)
    return scrub_patterns("\n\n".join(blocks)) + "\n"
