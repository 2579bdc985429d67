"""A fix is a plan first: every file it would change and every AWS call it would make.

A :class:`Plan` is an ordered list of :class:`Step` objects. Each step can describe itself
(for the preview), run, and undo what it ran. :func:`execute` runs the steps in order and,
if one fails, undoes the ones that ran, newest first, so that a failed fix leaves things as
they were. Steps that cannot be undone (deleting an access key) are allowed only as the
very last step of a plan, after everything that could fail has succeeded.

Two hooks exist for the tests that prove this: ``KEYDOCTOR_FAULT_AFTER_STEP=N`` raises
:class:`InjectedFault` right after step ``N`` (1-based) succeeds, which triggers the normal
rollback; ``KEYDOCTOR_KILL_AFTER_STEP=N`` kills the process with SIGKILL at the same point,
so that nothing can roll back and only the on-disk discipline (backups, atomic replace) is
left to keep data safe.
"""

from __future__ import annotations

import difflib
import enum
import hashlib
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from keydoctor.errors import KeydoctorError
from keydoctor.fixes import atomic

FAULT_ENV = "KEYDOCTOR_FAULT_AFTER_STEP"
KILL_ENV = "KEYDOCTOR_KILL_AFTER_STEP"


class Safety(enum.Enum):
    """Safe: cannot change which credentials are used. Unsafe: can, so it needs consent."""

    SAFE = "safe"
    UNSAFE = "unsafe"


class FixError(KeydoctorError):
    """A fix could not be planned or applied; the message is masked and says what to do."""


class InjectedFault(RuntimeError):
    """The failure the test hook injects after a step."""


@dataclass
class RunState:
    """What steps pass to each other while a plan runs (a new key, the backups made)."""

    values: dict[str, Any] = field(default_factory=dict)
    backups: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    # Bytes this run itself wrote, by path, shared by every plan of the run: a later plan
    # may build on an earlier plan's write, never on someone else's edit.
    written: dict[str, bytes] = field(default_factory=dict)


class Step:
    """One action of a plan. Subclasses say what they do, do it, and undo it."""

    title: str = ""
    reversible: bool = True

    def preview(self) -> str:
        """What the step would do, already free of secrets."""
        return self.title

    def fingerprint(self) -> str:
        """What the step would do, on raw values, for :func:`plan_hash` (never printed)."""
        return f"{type(self).__name__}: {self.title}"

    def run(self, state: RunState) -> None:
        raise NotImplementedError

    def undo(self, state: RunState) -> None:
        """Put back what :meth:`run` changed; only called after ``run`` succeeded."""


_Tag = Literal["replace", "delete", "insert", "equal"]


class _InPlaceMatcher(difflib.SequenceMatcher[str]):
    """Old line i against new line i, for edits that change lines where they stand.

    tidy's value cleaning and set-region keep the number of lines; pairing the lines by
    position then gives the natural diff in one pass, where difflib's search for the
    longest match turns quadratic on files of thousands of near-identical lines.
    """

    def __init__(self, a: list[str], b: list[str]) -> None:
        super().__init__(None, a, b, autojunk=False)
        self._lines = (a, b)

    def get_opcodes(self) -> list[tuple[_Tag, int, int, int, int]]:
        a, b = self._lines
        opcodes: list[tuple[_Tag, int, int, int, int]] = []
        start = 0
        while start < len(a):
            same = a[start] == b[start]
            stop = start + 1
            while stop < len(a) and (a[stop] == b[stop]) == same:
                stop += 1
            opcodes.append(("equal" if same else "replace", start, stop, start, stop))
            start = stop
        return opcodes or [("equal", 0, 0, 0, 0)]


def _hunk_range(start: int, stop: int) -> str:
    """``start,length`` as a unified diff writes it (1-based; 0 for an empty range)."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"


def _diff_lines(a: list[str], b: list[str], fromfile: str, tofile: str) -> list[str]:
    """A unified diff of two line lists (with their endings), three lines of context."""
    matcher = _InPlaceMatcher(a, b) if len(a) == len(b) else difflib.SequenceMatcher(None, a, b)
    out: list[str] = []
    for group in matcher.get_grouped_opcodes(3):
        if not out:
            out += [f"--- {fromfile}\n", f"+++ {tofile}\n"]
        first, last = group[0], group[-1]
        out.append(f"@@ -{_hunk_range(first[1], last[2])} +{_hunk_range(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(" " + line for line in a[i1:i2])
                continue
            out.extend("-" + line for line in a[i1:i2])
            out.extend("+" + line for line in b[j1:j2])
    return out


def unified_diff(path: str, before: str, after: str) -> str:
    """A unified diff of a shared file whose lines are masked before they are shown.

    Lines are compared as they are (so a change inside a secret is still a change) but
    shown through :func:`keydoctor.redact.mask_setting_line`, and only then are invisible
    characters named and CRs marked: marking first would change a secret's text so that
    no redactor could recognise it any more. A removed and an added line that look the
    same once masked get a note, since the difference is inside the hidden value.
    """
    from keydoctor.redact import mark_invisible, mask_setting_line

    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    old_shown = [mask_setting_line(line) for line in old]
    new_shown = [mask_setting_line(line) for line in new]
    # Compared raw, paired by position when the edit keeps the line count (linear).
    matcher = (
        _InPlaceMatcher(old, new)
        if len(old) == len(new)
        else difflib.SequenceMatcher(None, old, new)
    )
    out: list[str] = []
    for group in matcher.get_grouped_opcodes(3):
        if not out:
            out += [f"--- {path} (now)\n", f"+++ {path} (after fix)\n"]
        out.append(
            f"@@ -{_hunk_range(group[0][1], group[-1][2])} "
            f"+{_hunk_range(group[0][3], group[-1][4])} @@\n"
        )
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [" " + line for line in old_shown[i1:i2]]
                continue
            removed, added = old_shown[i1:i2], list(new_shown[j1:j2])
            for index in range(min(len(removed), len(added))):
                if removed[index] == added[index]:
                    added[index] = _noted(added[index], " (the hidden value changes)")
            out += ["-" + line for line in removed]
            out += ["+" + line for line in added]
    shown_lines: list[str] = []
    for line in out:
        shown = mark_invisible(line)
        if not shown.endswith("\n"):
            shown += "\n\\ No newline at end of file\n"
        shown_lines.append(shown)
    return "".join(shown_lines)


def _noted(line: str, note: str) -> str:
    body = line.rstrip("\r\n")
    return body + note + line[len(body) :]


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _make_private_folder(directory: str) -> None:
    """Create a missing folder 0700; made by root, it belongs to its parent's owner."""
    if os.path.isdir(directory):
        return
    os.makedirs(directory, mode=0o700, exist_ok=True)
    if os.geteuid() == 0:
        parent = os.stat(os.path.dirname(directory) or ".")
        os.chown(directory, parent.st_uid, parent.st_gid)


class FileWrite(Step):
    """Replace a file's content (and optionally its mode), with a backup and atomically.

    ``before`` is the content the plan was computed from: if the file changed since (other
    than by an earlier plan of the same run), the step refuses to run rather than overwrite
    someone's edit. ``render`` transforms the file's text as it is at run time, with the
    run state (a rotation only knows the new key then), so that two fixes of one run can
    touch the same file in turn; ``preview_after`` is what the diff shows (placeholders
    instead of a new secret).
    """

    def __init__(
        self,
        path: str,
        before: bytes | None,
        render: Callable[[str, RunState], str],
        preview_after: str,
        mode: int | None = None,
        why: str = "",
    ) -> None:
        self.path = path
        self.before = before
        self.render = render
        self.preview_after = preview_after
        self.mode = mode
        self.why = why
        self.title = f"write {path}" + (f" ({why})" if why and len(why) <= 60 else "")
        self._backup: str | None = None
        self._old_mode: int | None = None
        self._found: bytes | None = None

    @property
    def before_text(self) -> str:
        return self.before.decode("utf-8", errors="replace") if self.before is not None else ""

    def diff(self) -> str:
        return unified_diff(self.path, self.before_text, self.preview_after)

    def mode_change(self) -> tuple[int | None, int] | None:
        current = atomic.file_mode(self.path)
        if self.mode is not None and current != self.mode:
            return current, self.mode
        return None

    def preview(self) -> str:
        parts = [self.title]
        change = self.mode_change()
        if change is not None:
            old = "absent" if change[0] is None else f"{change[0]:o}"
            parts.append(f"  mode {old} -> {change[1]:o}")
        return "\n".join(parts)

    def fingerprint(self) -> str:
        before = _digest(self.before) if self.before is not None else "absent"
        after = _digest(self.preview_after.encode("utf-8"))
        mode = f"{self.mode:o}" if self.mode is not None else "kept"
        return f"write {atomic.real_target(self.path)} from {before} to {after} mode {mode}"

    def run(self, state: RunState) -> None:
        current = atomic.read_bytes(self.path)
        ours = state.written.get(atomic.real_target(self.path))
        if current != self.before and (ours is None or current != ours):
            raise FixError(
                f"{self.path} changed after the fix was planned; nothing was written. "
                "Run the fix again to plan it against the new content."
            )
        self._found = current
        self._old_mode = atomic.file_mode(self.path)
        try:
            if current is not None:
                self._backup = atomic.make_backup(self.path, current)
                state.backups.append(self._backup)
            else:
                # A new file (the first credentials file, a new key's hand-off file): its
                # folder is made private, as the AWS CLI makes ~/.aws.
                _make_private_folder(os.path.dirname(os.path.abspath(self.path)))
            text = self.render(current.decode("utf-8") if current is not None else "", state)
            data = text.encode("utf-8")
            mode = self.mode if self.mode is not None else (self._old_mode or atomic.NEW_FILE_MODE)
            atomic.write_atomic(self.path, data, mode, exclusive=current is None)
        except FileExistsError:
            raise FixError(
                f"{self.path} was created by someone else after the fix was planned; "
                "nothing was written. Run the fix again to plan it against the new content."
            ) from None
        except OSError as exc:
            # A full disk, a quota, a size limit: one line, and the file is as it was.
            raise FixError(
                f"could not write {self.path} ({exc.strerror or type(exc).__name__}); "
                "the file was left as it was"
            ) from None
        state.written[atomic.real_target(self.path)] = data
        state.log.append(
            f"wrote {self.path}" + (f" (backup: {self._backup})" if self._backup else "")
        )

    def undo(self, state: RunState) -> None:
        found = self._found
        if found is None:
            atomic.remove_file(self.path)
            state.written.pop(atomic.real_target(self.path), None)
        else:
            atomic.write_atomic(self.path, found, self._old_mode or atomic.NEW_FILE_MODE)
            state.written[atomic.real_target(self.path)] = found
        state.log.append(f"restored {self.path} to what it was before this step")


class Chmod(Step):
    """Only a permission change (the file's content stays)."""

    def __init__(self, path: str, mode: int) -> None:
        self.path = path
        self.mode = mode
        self._old: int | None = None
        self.title = f"chmod {mode:o} {path}"

    def fingerprint(self) -> str:
        return f"chmod {atomic.real_target(self.path)} from {self._current():o} to {self.mode:o}"

    def _current(self) -> int:
        return atomic.file_mode(self.path) or 0

    def run(self, state: RunState) -> None:
        self._old = atomic.file_mode(self.path)
        os.chmod(atomic.real_target(self.path), self.mode)
        state.log.append(f"chmod {self.mode:o} {self.path}")

    def undo(self, state: RunState) -> None:
        if self._old is not None:
            os.chmod(atomic.real_target(self.path), self._old)
            state.log.append(f"chmod {self._old:o} {self.path} (restored)")


@dataclass
class Plan:
    """One named fix: what it does, how safe it is, and its steps in order."""

    name: str
    safety: Safety
    summary: str
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # shown with the preview, masked
    blocked: str | None = None  # why it cannot run as planned (shown, never applied)

    @property
    def empty(self) -> bool:
        return not self.steps and self.blocked is None

    def file_steps(self) -> list[FileWrite]:
        return [s for s in self.steps if isinstance(s, FileWrite)]


@dataclass
class Outcome:
    """What applying a plan did."""

    plan: Plan
    applied: bool
    log: list[str]
    backups: list[str]
    error: str | None = None
    rollback_errors: list[str] = field(default_factory=list)
    skipped: bool = False  # unsafe and not allowed


def _hook(env_name: str) -> int | None:
    value = os.environ.get(env_name)
    if value and value.strip().isdigit():
        return int(value.strip())
    return None


class StepCounter:
    """What every plan of one run shares: the step numbers (for the fault hooks) and the
    bytes the run has written."""

    def __init__(self) -> None:
        self.done = 0
        self.written: dict[str, bytes] = {}

    def after_step(self) -> None:
        self.done += 1
        if _hook(KILL_ENV) == self.done:
            os.kill(os.getpid(), signal.SIGKILL)
        if _hook(FAULT_ENV) == self.done:
            raise InjectedFault(f"failure injected after step {self.done}")


def execute(plan: Plan, counter: StepCounter | None = None) -> Outcome:
    """Run a plan's steps; on any failure undo what ran, newest first, and say so."""
    counter = counter or StepCounter()
    state = RunState(written=counter.written)
    if plan.blocked is not None:
        return Outcome(plan, False, [], [], error=plan.blocked)
    done: list[Step] = []
    committed = False  # set once an irreversible step has run: there is no way back
    try:
        for step in plan.steps:
            step.run(state)
            done.append(step)
            committed = committed or not step.reversible
            counter.after_step()
    except BaseException as exc:  # every failure, ours, the SDK's or a Ctrl-C, rolls back
        if not isinstance(exc, Exception | KeyboardInterrupt):
            raise  # SystemExit and the like: not ours to handle
        error = _describe(exc)
        if committed:
            # Undoing the steps before an irreversible one would restore a state that
            # no longer works (a file naming a deleted key); the plan stands as done.
            state.log.append("failed after a step that cannot be undone; nothing was undone")
            return Outcome(plan, True, state.log, state.backups, error)
        rollback_errors: list[str] = []
        for step in reversed(done):
            try:
                step.undo(state)
            except Exception as undo_exc:  # keep undoing the rest; report each one
                rollback_errors.append(f"{step.title}: {_describe(undo_exc)}")
        if isinstance(exc, KeyboardInterrupt):
            raise  # undone first, then the interrupt goes on to the CLI
        return Outcome(plan, False, state.log, state.backups, error, rollback_errors)
    return Outcome(plan, True, state.log, state.backups)


PLAN_HASH_LENGTH = 12


def plan_hash(plans: list[Plan]) -> str | None:
    """A short hash of what the plans would do, or None when they would do nothing.

    It is computed on the raw planned values (each file's bytes before and after, modes,
    the AWS calls with their full arguments), so that any difference between what was
    previewed and what is about to be applied changes it. Only the hash is ever shown:
    twelve hex digits of SHA-256 say nothing usable about the secrets it covers.
    """
    parts: list[str] = []
    for plan in plans:
        if not plan.steps or plan.blocked is not None:
            continue
        parts.append(f"plan {plan.name} {plan.safety.value}")
        parts.extend(step.fingerprint() for step in plan.steps)
    if not parts:
        return None
    return _digest("\n".join(parts).encode("utf-8"))[:PLAN_HASH_LENGTH]


def _describe(exc: BaseException) -> str:
    from keydoctor.redact import scrub_patterns

    message = str(exc).strip()
    if not message:
        return type(exc).__name__  # not "RuntimeError: RuntimeError"
    text = message.splitlines()[0]
    if not isinstance(exc, KeydoctorError):
        text = f"{type(exc).__name__}: {text}"
    return scrub_patterns(text)
