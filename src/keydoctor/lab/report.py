"""The lab's results as text for a person or as one JSON object for a program.

Both forms receive finished outcomes and return a string. Everything shown comes from
the scenario's programs, already masked by keydoctor's own reporters (the diagnosis) or
by :func:`keydoctor.redact.scrub_patterns` (boto3's error line), and the whole text goes
through it once more on the way out.
"""

from __future__ import annotations

import json
import shlex
import textwrap
from collections.abc import Sequence
from typing import Any

from keydoctor import __version__
from keydoctor.lab.runner import JUDGED_OFFLINE, Outcome
from keydoctor.redact import scrub_patterns

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
    prepared = outcome.prepared
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
        "judged_on": outcome.judged,
        "application": {
            "call": prepared.setup.call.describe() if prepared else None,
            "exit": outcome.app_exit,
            "output": outcome.app_output,
        },
        "keydoctor": {
            "command": check_command,
            "exit": outcome.check_exit,
            "cause": shown_cause,
        },
        "notes": list(outcome.notes),
        "error": outcome.error,
        "seconds": round(outcome.seconds, 3),
    }


def summary(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    failed = [o.scenario.name for o in outcomes if not o.matched]
    return {"total": len(outcomes), "matched": len(outcomes) - len(failed), "failed": failed}


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
    return scrub_patterns(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"


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
    verdict = "PASS" if outcome.matched else "FAIL"
    lines = [f"{verdict}  {scenario.name}: {scenario.title}  ({outcome.seconds:.1f}s)"]
    lines += _field("story", scenario.story)
    lines += _field("seed", scenario.seed)
    if outcome.prepared is not None:
        lines += _field("boto3", outcome.prepared.setup.call.describe())
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
        judged += " (this keydoctor check reports no live diagnosis; its worst finding is judged)"
    expected = outcome.expected or "no cause (healthy)"
    got = outcome.got or "no cause"
    lines += _field("expected", f"{expected}; got {got}; judged on the {judged}")
    for note in outcome.notes:
        lines += _field("note", note)
    return "\n".join(lines)


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
    tail = f"{result['matched']}/{result['total']} diagnosed as expected in {seconds:.1f}s"
    if result["failed"]:
        tail += "; not matched: " + ", ".join(result["failed"])
    blocks.append(tail)
    return scrub_patterns("\n\n".join(blocks)) + "\n"
