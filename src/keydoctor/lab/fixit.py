"""The lab's "fix it" step: apply the fix keydoctor's diagnosis calls for, then prove it.

After a scenario's diagnosis, the fixes come from keydoctor's own findings (the codes in
the ``keydoctor check`` JSON, mapped by the remedies the rules declare, read by
:func:`keydoctor.fixes.finding_fixes`), never from the scenario: the scenario only says
which fix it expects, and the lab compares.
The fix runs as a person would run it, ``keydoctor fix NAME --apply --format json`` in
the scenario's HOME and environment (``--unsafe`` only where the scenario gives that
consent), so the plan shown is the command's own plan and diff, already redacted by it.

Then the proof: the scenario's application runs again and must now work. When the
application cannot be re-run usefully (its answer is a recorded AWS answer replayed on
loopback, which never changes), ``keydoctor check`` runs again instead and must name no
cause. A scenario without an automatic fix (an exported variable, a deleted key, a
policy) shows the commands of its diagnosis, labelled "manual": the lab does not pretend
to have fixed it.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from keydoctor.redact import scrub_patterns

FIXED = "fixed"
NOT_FIXED = "not fixed"
MANUAL = "manual"
NOTHING = "nothing to fix"
NOT_RUN = "not run"

PROOF_APPLICATION = "application"
PROOF_CHECK = "keydoctor check"
MAX_MANUAL = 4
_FAILING = ("critical", "high")


@dataclass
class FixResult:
    """What the fix step did and what the proof showed."""

    status: str = NOT_RUN
    fixes: list[str] = field(default_factory=list)  # what keydoctor's findings call for
    commands: list[str] = field(default_factory=list)  # the keydoctor fix commands run
    plans: list[dict[str, Any]] = field(default_factory=list)  # from keydoctor fix's JSON
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    proof: str | None = None  # application / keydoctor check
    proof_exit: int | None = None
    proof_output: str = ""
    manual: list[str] = field(default_factory=list)  # commands to run by hand
    note: str | None = None  # why an automatic fix ended as manual
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "fixes": list(self.fixes),
            "commands": list(self.commands),
            "plans": [
                {
                    "name": p.get("name"),
                    "safety": p.get("safety"),
                    "summary": p.get("summary"),
                    "blocked": p.get("blocked"),
                    "steps": list(p.get("steps") or []),
                    "diffs": [d for d in p.get("diffs") or [] if d.get("diff")],
                }
                for p in self.plans
                if p.get("steps") or p.get("blocked")
            ],
            "outcomes": [
                {
                    "name": o.get("name"),
                    "applied": o.get("applied"),
                    "skipped": o.get("skipped"),
                    "error": o.get("error"),
                }
                for o in self.outcomes
            ],
            "proof": None
            if self.proof is None
            else {"by": self.proof, "exit": self.proof_exit, "output": self.proof_output},
            "manual": list(self.manual),
            "note": self.note,
            "error": self.error,
        }


def finding_codes(document: dict[str, Any]) -> list[str]:
    """Every finding code of a ``keydoctor check`` document, the diagnosis's evidence too."""
    codes: list[str] = []
    for finding in document.get("findings") or []:
        code = finding.get("code")
        if isinstance(code, str) and code not in codes:
            codes.append(code)
    diagnosis = document.get("diagnosis") or {}
    for item in diagnosis.get("evidence") or []:
        head = str(item).split(":", 1)[0].strip()
        if head.startswith("KD") and head[2:].isdigit() and head not in codes:
            codes.append(head)
    return codes


def called_for(document: dict[str, Any]) -> list[str]:
    """The fixes keydoctor's findings call for, in the order ``keydoctor fix`` runs them."""
    from keydoctor.fixes import fixes_for_findings

    return fixes_for_findings(finding_codes(document))


def manual_commands(cause: dict[str, Any] | None, document: dict[str, Any] | None) -> list[str]:
    """The diagnosis's fix first, then the other failing findings' fixes, each once."""
    found: list[str] = []
    if cause and cause.get("fix"):
        found.append(str(cause["fix"]))
    for finding in (document or {}).get("findings") or []:
        fix = finding.get("fix")
        if finding.get("severity") in _FAILING and fix and str(fix) not in found:
            found.append(str(fix))
    return [scrub_patterns(f) for f in found[:MAX_MANUAL]]


def exports_of(fix: str) -> dict[str, str] | None:
    """The variables a fix sets when it is one ``export NAME=VALUE ...`` command, else None.

    Only that exact shape is carried out: a fix with words around the command is for a
    person to read, not for the lab to run.
    """
    try:
        words = shlex.split(fix)
    except ValueError:
        return None
    if len(words) < 2 or words[0] != "export":
        return None
    assigned: dict[str, str] = {}
    for word in words[1:]:
        name, sep, value = word.partition("=")
        if not sep or not name.isidentifier():
            return None
        assigned[name] = value
    return assigned


def prove_export(
    result: FixResult, fix: str, *, env: dict[str, str], application: list[str], run: Runner
) -> FixResult:
    """Carry out a manual ``export`` fix as the person's shell would, then run the
    application again: the proof that the exported value is the one that was missing."""
    assigned = exports_of(fix)
    if assigned is None:
        result.note = "the fix is not one export command the lab can carry out"
        return result
    completed = run(application, {**env, **assigned})
    result.proof = f"{PROOF_APPLICATION} after `{fix}`"
    result.proof_exit = completed.returncode
    result.proof_output = scrub_patterns(_last_line(completed.stdout or completed.stderr))
    return result


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def display(command: Sequence[str]) -> str:
    args = list(command)
    if len(args) >= 3 and args[1:3] == ["-m", "keydoctor"]:
        args = ["keydoctor", *args[3:]]
    return " ".join(shlex.quote(a) for a in args)


Runner = Callable[[list[str], dict[str, str]], Any]  # -> object with returncode/stdout/stderr


def _fix_command(
    python: str, name: str, *, apply: bool, unsafe: bool, bucket: str, endpoint: str
) -> list[str]:
    command = [python, "-m", "keydoctor", "fix", name]
    if apply:
        command.append("--apply")
        if unsafe:
            command.append("--unsafe")
    command += ["--format", "json"]
    if name in ("set-region", "rotate-key"):
        command += ["--endpoint-url", endpoint]
    if name == "set-region":
        command += ["--bucket", bucket]
    return command


def _has_work(plan: dict[str, Any]) -> bool:
    return bool(plan.get("steps") or plan.get("blocked"))


def apply_and_prove(
    *,
    fixes: list[str],
    unsafe: bool,
    bucket: str,
    endpoint: str,
    env: dict[str, str],
    python: str,
    application: list[str] | None,
    check: list[str],
    run: Runner,
    manual: list[str],
) -> FixResult:
    """Plan each fix (a dry run), apply it, then prove it; "fixed" or "not fixed".

    ``application`` is the command that re-runs the scenario's application, or ``None``
    when it cannot be re-run usefully; then ``check`` (a ``keydoctor check --format json``
    command) is the proof, and it must name no cause. When the dry runs plan nothing
    (the finding is about a value the fix cannot reach, an exported variable), the
    result is "manual" with the ``manual`` commands, and says why.
    """
    result = FixResult(fixes=list(fixes))
    planned: list[dict[str, Any]] = []
    for name in fixes:
        dry = _fix_command(
            python, name, apply=False, unsafe=unsafe, bucket=bucket, endpoint=endpoint
        )
        completed = run(dry, env)
        try:
            document = json.loads(completed.stdout)
        except ValueError:
            document = None
        if isinstance(document, dict):
            planned += [p for p in document.get("plans") or [] if isinstance(p, dict)]
    if not any(_has_work(p) for p in planned):
        return FixResult(
            status=MANUAL,
            fixes=list(fixes),
            manual=manual,
            note=f"keydoctor fix {' '.join(fixes)} plans no change to the files: the value "
            "at fault is outside them",
        )
    all_applied = True
    for name in fixes:
        command = _fix_command(
            python, name, apply=True, unsafe=unsafe, bucket=bucket, endpoint=endpoint
        )
        result.commands.append(display(command))
        completed = run(command, env)
        try:
            document = json.loads(completed.stdout)
        except ValueError:
            document = None
        if not isinstance(document, dict):
            result.error = scrub_patterns(
                _last_line(completed.stderr) or f"keydoctor fix {name} printed no JSON"
            )
            all_applied = False
            break
        result.plans += list(document.get("plans") or [])
        outcomes = list(document.get("outcomes") or [])
        result.outcomes += outcomes
        if completed.returncode != 0 or not outcomes:
            all_applied = False
        if any(not o.get("applied") for o in outcomes):
            all_applied = False
    if application is not None:
        result.proof = PROOF_APPLICATION
        completed = run(application, env)
        result.proof_exit = completed.returncode
        result.proof_output = scrub_patterns(_last_line(completed.stdout or completed.stderr))
        proved = completed.returncode == 0
    else:
        result.proof = PROOF_CHECK
        completed = run(check, env)
        result.proof_exit = completed.returncode
        proved = False
        try:
            after = json.loads(completed.stdout)
        except ValueError:
            after = None
        if isinstance(after, dict):
            diagnosis = after.get("diagnosis")
            failing = [
                f.get("code") for f in after.get("findings") or [] if f.get("severity") in _FAILING
            ]
            proved = not diagnosis and not failing
            if diagnosis:
                result.proof_output = scrub_patterns(
                    f"still diagnosed: {diagnosis.get('category')}: {diagnosis.get('title')}"
                )
            elif failing:
                result.proof_output = "still failing findings: " + ", ".join(map(str, failing))
            else:
                result.proof_output = "no cause: keydoctor finds the credentials in working order"
        else:
            result.proof_output = scrub_patterns(
                _last_line(completed.stderr) or "keydoctor check printed no JSON"
            )
    result.status = FIXED if all_applied and proved else NOT_FIXED
    return result
