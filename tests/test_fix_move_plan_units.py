"""``move-keys`` and the plan machinery, pinned by exact values.

The wide tests run these fixes through the CLI and check that the result works; a plan that
writes the right keys under a slightly wrong note, diff header or hash still passes them.
Here every expected text is written out from the rules the modules state: the credentials
file is written first and gets mode 600, a profile whose keys conflict moves nothing and
says which lines, a diff masks values and notes a change hidden inside one, a plan hash
covers the raw values of every step, and a failed step undoes the ones before it.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from keydoctor.fixes.move import _conflict, _key_values, _profile_of, plan_move_keys
from keydoctor.fixes.plan import (
    Chmod,
    FileWrite,
    FixError,
    InjectedFault,
    Plan,
    RunState,
    Safety,
    Step,
    StepCounter,
    _describe,
    _hunk_range,
    _noted,
    execute,
    plan_hash,
    unified_diff,
)

KEY = "AKIAIOSFODNN7EXAMPLE"
KEY2 = "AKIAI44QH8DHBEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _files(tmp_path: Path, config: str | None, credentials: str | None) -> tuple[str, str]:
    config_path = tmp_path / "config"
    creds_path = tmp_path / "credentials"
    if config is not None:
        config_path.write_text(config, encoding="utf-8")
    if credentials is not None:
        creds_path.write_text(credentials, encoding="utf-8")
    return str(config_path), str(creds_path)


# --- move-keys: the plan ----------------------------------------------------------------


def test_profile_names_of_config_headers() -> None:
    assert _profile_of("default") == "default"
    assert _profile_of("profile dev") == "dev"
    assert _profile_of("  profile   dev  ") == "dev"
    assert _profile_of("dev") is None  # botocore ignores [dev] in the config file
    assert _profile_of("profile") is None
    assert _profile_of("profile a b") is None
    assert _profile_of("sso-session corp") is None


def test_key_values_reads_every_section_of_a_profile_in_order() -> None:
    lines = [
        "[default]\n",
        f"aws_access_key_id = {KEY}\n",
        "region = eu-west-1\n",
        "[profile dev]\n",
        "; a comment\n",
        f"AWS_Secret_Access_Key={SECRET}\n",
        "[dev]\n",
        "aws_session_token = T\n",
        "[default]\n",
        f"aws_access_key_id = {KEY2}\n",
    ]
    assert _key_values(lines, _profile_of) == {
        "default": {"aws_access_key_id": [(2, KEY), (10, KEY2)]},
        "dev": {"aws_secret_access_key": [(6, SECRET)]},
    }


def test_conflict_names_the_first_key_set_twice_differently() -> None:
    assert (
        _conflict({"aws_access_key_id": [(2, KEY), (9, f'"{KEY}"')]}) is None
    )  # same once cleaned
    assert _conflict(
        {
            "aws_secret_access_key": [(3, "a"), (7, "b")],
            "aws_access_key_id": [(2, KEY), (8, KEY2)],
        }
    ) == ("aws_access_key_id", [2, 8])
    assert _conflict({"aws_session_token": [(4, "t1"), (5, "t2"), (6, "t1")]}) == (
        "aws_session_token",
        [4, 5, 6],
    )
    assert _conflict({}) is None


def test_keys_move_to_a_new_credentials_file(tmp_path: Path) -> None:
    config, creds = _files(
        tmp_path,
        f"[default]\nregion = eu-west-1\naws_access_key_id = {KEY}\n"
        f"aws_secret_access_key = '{SECRET}'\n\n[profile dev]\noutput = json\n",
        None,
    )
    plan = plan_move_keys(config, creds)
    assert (plan.name, plan.safety, plan.blocked) == ("move-keys", Safety.SAFE, None)
    assert plan.summary == "move access keys from the config file to the credentials file"
    assert plan.notes == [
        f"profile default: aws_access_key_id, aws_secret_access_key moved to {creds}"
    ]
    first, second = plan.steps
    assert isinstance(first, FileWrite) and isinstance(second, FileWrite)
    # the credentials file first, private, with the value cleaned of its quotes
    assert (first.path, first.before, first.mode) == (creds, None, 0o600)
    assert first.title == f"write {creds} (receives the keys)"
    assert first.preview_after == (
        f"[default]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n"
    )
    assert (second.path, second.mode) == (config, None)
    assert second.before == Path(config).read_bytes()
    assert second.title == f"write {config} (keys removed)"
    assert second.preview_after == "[default]\nregion = eu-west-1\n\n[profile dev]\noutput = json\n"
    # what runs is what was previewed
    assert first.render("", RunState()) == first.preview_after
    assert second.render(Path(config).read_text(), RunState()) == second.preview_after


def test_keys_join_an_existing_credentials_file(tmp_path: Path) -> None:
    config, creds = _files(
        tmp_path,
        f"[profile dev]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n",
        "[other]\naws_access_key_id = AKIAOTHEROTHEROTHER1\n",
    )
    plan = plan_move_keys(config, creds)
    first, second = plan.steps
    assert isinstance(first, FileWrite) and isinstance(second, FileWrite)
    assert first.before == Path(creds).read_bytes()
    assert first.preview_after == (
        "[other]\naws_access_key_id = AKIAOTHEROTHEROTHER1\n\n"
        f"[dev]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n"
    )
    assert second.preview_after == "[profile dev]\n"
    assert plan.notes == [f"profile dev: aws_access_key_id, aws_secret_access_key moved to {creds}"]


def test_the_same_keys_already_in_the_credentials_file_are_only_removed(tmp_path: Path) -> None:
    config, creds = _files(
        tmp_path,
        f"[default]\naws_access_key_id = {KEY}\naws_secret_access_key = '{SECRET}'\n",
        f"[default]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n",
    )
    plan = plan_move_keys(config, creds)
    assert [type(s).__name__ for s in plan.steps] == ["FileWrite"]
    only = plan.steps[0]
    assert isinstance(only, FileWrite) and only.path == config
    assert only.preview_after == "[default]\n"
    assert plan.notes == [
        f"profile default: removed from {config} (the credentials file already holds the same keys)"
    ]


def test_other_keys_in_the_credentials_file_win_and_nothing_moves(tmp_path: Path) -> None:
    config, creds = _files(
        tmp_path,
        f"[default]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n",
        f"[default]\naws_access_key_id = {KEY2}\n",
    )
    plan = plan_move_keys(config, creds)
    assert plan.steps == []
    assert plan.notes == [
        "profile default: the credentials file already holds other keys (AKIA…MPLE), which "
        f"win over the config file's (AKIA…MPLE); not moved. Delete the pair you do not use "
        f"from {config}"
    ]
    # a credentials file with more keys than the config's is not the same pair either
    config, creds = _files(
        tmp_path,
        f"[default]\naws_access_key_id = {KEY}\n",
        f"[default]\naws_access_key_id = {KEY}\naws_session_token = T\n",
    )
    assert plan_move_keys(config, creds).steps == []


def test_a_profile_with_two_different_keys_moves_nothing(tmp_path: Path) -> None:
    config, creds = _files(
        tmp_path,
        f"[default]\naws_access_key_id = {KEY}\n[profile dev]\naws_access_key_id = {KEY}\n"
        f"[default]\naws_access_key_id = {KEY2}\n",
        None,
    )
    plan = plan_move_keys(config, creds)
    assert [s.path for s in plan.steps if isinstance(s, FileWrite)] == [creds, config]
    assert plan.notes == [
        f"profile default: {config} sets aws_access_key_id more than once with different "
        "values (lines 2, 6); not moved, nothing removed. Keep the pair you use, delete the "
        "other, then run move-keys again",
        f"profile dev: aws_access_key_id moved to {creds}",
    ]
    first = plan.steps[0]
    assert isinstance(first, FileWrite)
    assert first.preview_after == f"[dev]\naws_access_key_id = {KEY}\n"


def test_nothing_to_move(tmp_path: Path) -> None:
    config, creds = _files(tmp_path, "[default]\nregion = eu-west-1\n[dev]\nx = 1\n", None)
    plan = plan_move_keys(config, creds)
    assert (plan.steps, plan.notes) == ([], [])
    plan = plan_move_keys(str(tmp_path / "no-config"), creds)  # no config file at all
    assert (plan.steps, plan.notes, plan.empty) == ([], [], True)


def test_unreadable_and_non_utf8_files_are_left_alone(tmp_path: Path) -> None:
    config = tmp_path / "config"
    creds = tmp_path / "credentials"
    config.write_bytes(b"[default]\naws_access_key_id = \xff\n")
    plan = plan_move_keys(str(config), str(creds))
    assert plan.steps == [] and plan.notes == [
        f"{config} is not UTF-8 text; move-keys left it alone"
    ]
    config.write_text(f"[default]\naws_access_key_id = {KEY}\n", encoding="utf-8")
    creds.write_bytes(b"\xfe\xff")
    plan = plan_move_keys(str(config), str(creds))
    assert plan.steps == [] and plan.notes == [
        f"{creds} is not UTF-8 text; move-keys left it alone"
    ]
    creds.unlink()
    creds.mkdir()  # a folder where the file should be
    plan = plan_move_keys(str(config), str(creds))
    assert plan.steps == [] and len(plan.notes) == 1
    assert plan.notes[0] == "move-keys cannot read a shared file (Is a directory)"


# --- diffs --------------------------------------------------------------------------------


def test_hunk_ranges_as_unified_diff_writes_them() -> None:
    assert _hunk_range(0, 1) == "1"
    assert _hunk_range(4, 5) == "5"
    assert _hunk_range(0, 3) == "1,3"
    assert _hunk_range(2, 4) == "3,2"
    assert _hunk_range(3, 3) == "3,0"  # empty: the line before
    assert _hunk_range(0, 0) == "0,0"


def test_unified_diff_masks_values_and_notes_a_hidden_change() -> None:
    before = f"[default]\naws_secret_access_key = {SECRET}\nregion = eu-west-1\n"
    after = f"[default]\naws_secret_access_key = {SECRET[:-1]}X\nregion = eu-west-2\n"
    assert unified_diff("F", before, after) == (
        "--- F (now)\n"
        "+++ F (after fix)\n"
        "@@ -1,3 +1,3 @@\n"
        " [default]\n"
        "-aws_secret_access_key = <secret redacted>\n"
        "-region = eu-west-1\n"
        "+aws_secret_access_key = <secret redacted> (the hidden value changes)\n"
        "+region = eu-west-2\n"
    )


def test_unified_diff_of_an_insertion_far_from_the_start() -> None:
    names = ("one", "two", "three", "four", "five", "six", "seven", "eight")
    before = "".join(f"{name} = 1\n" for name in names)
    after = before + "region = x\n"
    assert unified_diff("F", before, after) == (
        "--- F (now)\n+++ F (after fix)\n@@ -6,3 +6,4 @@\n"
        " six = <value redacted>\n seven = <value redacted>\n eight = <value redacted>\n"
        "+region = x\n"
    )


def test_unified_diff_names_invisible_characters_crs_and_a_missing_newline() -> None:
    assert unified_diff("F", "a = 1\r\n", "a = 1\u200b") == (
        "--- F (now)\n+++ F (after fix)\n@@ -1 +1 @@\n"
        "-a = <value redacted>\\r\n"
        "+a = <value redacted> (holds <ZWSP>)\n\\ No newline at end of file\n"
    )
    assert unified_diff("F", "same\n", "same\n") == ""
    assert unified_diff("F", "", "region = x\n") == (
        "--- F (now)\n+++ F (after fix)\n@@ -0,0 +1 @@\n+region = x\n"
    )


def test_noted_keeps_the_line_ending() -> None:
    assert _noted("a\r\n", " (n)") == "a (n)\r\n"
    assert _noted("a", " (n)") == "a (n)"


# --- steps, plans and their hash -------------------------------------------------------------


def test_file_write_previews_its_mode_change_and_fingerprints_raw_values(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_bytes(b"old\n")
    os.chmod(path, 0o644)
    step = FileWrite(str(path), b"old\n", lambda text, _s: "new\n", "new\n", mode=0o600, why="w")
    assert step.title == f"write {path} (w)"
    assert step.preview() == f"write {path} (w)\n  mode 644 -> 600"
    assert step.mode_change() == (0o644, 0o600)
    sha = hashlib.sha256
    old_digest, new_digest = sha(b"old\n").hexdigest(), sha(b"new\n").hexdigest()
    assert step.fingerprint() == f"write {path} from {old_digest} to {new_digest} mode 600"
    kept = FileWrite(str(path), None, lambda text, _s: "x", "x", why="a" * 61)
    assert kept.title == f"write {path}"  # a long reason is left out of the title
    assert kept.preview() == f"write {path}"
    assert kept.mode_change() is None
    assert kept.fingerprint() == f"write {path} from absent to {sha(b'x').hexdigest()} mode kept"
    assert kept.before_text == ""
    assert FileWrite(str(path), b"\xffa", lambda t, _s: t, "").before_text == "\ufffda"
    new = FileWrite(str(tmp_path / "new"), None, lambda t, _s: t, "", mode=0o600)
    assert new.preview() == f"write {tmp_path / 'new'}\n  mode absent -> 600"


def test_file_write_runs_with_a_backup_and_undoes(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_bytes(b"old\n")
    os.chmod(path, 0o640)
    step = FileWrite(str(path), b"old\n", lambda text, _s: text.upper(), "OLD\n")
    state = RunState()
    step.run(state)
    assert path.read_bytes() == b"OLD\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # the mode is kept
    assert len(state.backups) == 1 and Path(state.backups[0]).read_bytes() == b"old\n"
    assert state.log == [f"wrote {path} (backup: {state.backups[0]})"]
    assert state.written == {str(path): b"OLD\n"}
    step.undo(state)
    assert path.read_bytes() == b"old\n"
    assert state.written == {str(path): b"old\n"}
    assert state.log[-1] == f"restored {path} to what it was before this step"


def test_file_write_creates_a_private_file_and_undo_removes_it(tmp_path: Path) -> None:
    path = tmp_path / "aws" / "credentials"
    step = FileWrite(str(path), None, lambda text, _s: text + "x\n", "x\n")
    state = RunState()
    step.run(state)
    assert path.read_text() == "x\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert state.log == [f"wrote {path}"] and state.backups == []
    step.undo(state)
    assert not path.exists() and state.written == {}


def test_file_write_refuses_a_file_changed_since_the_plan(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_bytes(b"edited\n")
    step = FileWrite(str(path), b"planned\n", lambda text, _s: "new\n", "new\n")
    with pytest.raises(FixError) as raised:
        step.run(RunState())
    assert str(raised.value) == (
        f"{path} changed after the fix was planned; nothing was written. "
        "Run the fix again to plan it against the new content."
    )
    assert path.read_bytes() == b"edited\n"
    # a change this run made itself is not someone else's edit
    state = RunState(written={str(path): b"edited\n"})
    step.run(state)
    assert path.read_bytes() == b"new\n"
    created = FileWrite(str(tmp_path / "late"), None, lambda t, _s: "x", "x")
    (tmp_path / "late").write_text("theirs")
    with pytest.raises(FixError):
        created.run(RunState())


def test_chmod_runs_fingerprints_and_undoes(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_text("x")
    os.chmod(path, 0o644)
    step = Chmod(str(path), 0o600)
    assert step.title == f"chmod 600 {path}" and step.preview() == step.title
    assert step.fingerprint() == f"chmod {path} from 644 to 600"
    state = RunState()
    step.run(state)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert state.log == [f"chmod 600 {path}"]
    step.undo(state)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert state.log == [f"chmod 600 {path}", f"chmod 644 {path} (restored)"]
    never_ran = Chmod(str(path), 0o600)
    never_ran.undo(state)
    assert len(state.log) == 2


def _write_plan(tmp_path: Path, name: str = "tidy", safety: Safety = Safety.SAFE) -> Plan:
    path = tmp_path / "f"
    path.write_bytes(b"a\n")
    plan = Plan(name, safety, "s")
    plan.steps.append(FileWrite(str(path), b"a\n", lambda t, _s: "b\n", "b\n", mode=0o600))
    return plan


def test_plan_hash_covers_every_step_of_every_plan_that_would_run(tmp_path: Path) -> None:
    plan = _write_plan(tmp_path)
    step = plan.steps[0]
    expected = hashlib.sha256(f"plan tidy safe\n{step.fingerprint()}".encode()).hexdigest()[:12]
    assert plan_hash([plan]) == expected
    blocked = Plan("rotate-key", Safety.UNSAFE, "s", steps=[Chmod(str(tmp_path / "f"), 0o600)])
    blocked.blocked = "no"
    empty = Plan("move-keys", Safety.SAFE, "s")
    assert plan_hash([empty, plan, blocked]) == expected
    assert plan_hash([empty, blocked]) is None
    assert plan_hash([]) is None
    unsafe = _write_plan(tmp_path, safety=Safety.UNSAFE)
    assert plan_hash([unsafe]) != expected
    assert plan_hash([_write_plan(tmp_path, name="other")]) != expected
    two = hashlib.sha256(
        f"plan tidy safe\n{step.fingerprint()}\nplan tidy safe\n{step.fingerprint()}".encode()
    ).hexdigest()[:12]
    assert plan_hash([plan, plan]) == two
    assert plan.empty is False and empty.empty is True and blocked.empty is False
    assert plan.file_steps() == [step] and blocked.file_steps() == []


class _Fails(Step):
    title = "boom step"

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def run(self, state: RunState) -> None:
        raise self.exc


class _Irreversible(Step):
    title = "delete old key"
    reversible = False

    def run(self, state: RunState) -> None:
        state.log.append("deleted")


class _UndoFails(Step):
    title = "stubborn"

    def run(self, state: RunState) -> None:
        state.log.append("ran stubborn")

    def undo(self, state: RunState) -> None:
        raise OSError("read-only file system")


def test_execute_runs_in_order_and_reports(tmp_path: Path) -> None:
    plan = _write_plan(tmp_path)
    outcome = execute(plan)
    assert (outcome.applied, outcome.error, outcome.rollback_errors) == (True, None, [])
    assert outcome.plan is plan and outcome.skipped is False
    assert (tmp_path / "f").read_bytes() == b"b\n"
    assert outcome.log == [f"wrote {tmp_path / 'f'} (backup: {outcome.backups[0]})"]
    blocked = Plan("x", Safety.SAFE, "s", blocked="it cannot run: why")
    result = execute(blocked)
    assert (result.applied, result.log, result.backups, result.error) == (
        False,
        [],
        [],
        "it cannot run: why",
    )


def test_a_failed_step_undoes_the_ones_before_it_newest_first(tmp_path: Path) -> None:
    plan = _write_plan(tmp_path)
    plan.steps.append(_UndoFails())
    plan.steps.append(_Fails(ValueError("bad AKIAIOSFODNN7EXAMPLE\nsecond line")))
    outcome = execute(plan)
    assert outcome.applied is False and outcome.plan is plan
    assert len(outcome.backups) == 1 and Path(outcome.backups[0]).read_bytes() == b"a\n"
    assert outcome.error == "ValueError: bad AKIA…MPLE"
    assert outcome.rollback_errors == ["stubborn: OSError: read-only file system"]
    assert (tmp_path / "f").read_bytes() == b"a\n"  # the write was undone after the error
    assert outcome.log[-1] == f"restored {tmp_path / 'f'} to what it was before this step"


def test_after_an_irreversible_step_nothing_is_undone(tmp_path: Path) -> None:
    plan = _write_plan(tmp_path)
    plan.steps += [_Irreversible(), _Fails(FixError("verify failed"))]
    outcome = execute(plan)
    assert outcome.applied is True and outcome.error == "verify failed"
    assert outcome.plan is plan and len(outcome.backups) == 1
    assert outcome.log[-2:] == [
        "deleted",
        "failed after a step that cannot be undone; nothing was undone",
    ]
    assert (tmp_path / "f").read_bytes() == b"b\n"


def test_an_interrupt_is_undone_then_raised_and_system_exit_is_not_caught(tmp_path: Path) -> None:
    plan = _write_plan(tmp_path)
    plan.steps.append(_Fails(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        execute(plan)
    assert (tmp_path / "f").read_bytes() == b"a\n"
    plan = _write_plan(tmp_path)
    plan.steps.append(_Fails(SystemExit(3)))
    with pytest.raises(SystemExit):
        execute(plan)
    assert (tmp_path / "f").read_bytes() == b"b\n"  # not ours to handle: no rollback


def test_the_fault_hook_counts_steps_across_plans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEYDOCTOR_FAULT_AFTER_STEP", " 2 ")
    counter = StepCounter()
    first = execute(_write_plan(tmp_path), counter)
    assert first.applied is True and counter.done == 1
    (tmp_path / "g").write_bytes(b"a\n")
    second_plan = Plan("p", Safety.SAFE, "s")
    second_plan.steps.append(FileWrite(str(tmp_path / "g"), b"a\n", lambda t, _s: "c\n", "c\n"))
    second = execute(second_plan, counter)
    assert (
        second.applied is False and second.error == "InjectedFault: failure injected after step 2"
    )
    assert (tmp_path / "g").read_bytes() == b"a\n"
    monkeypatch.setenv("KEYDOCTOR_FAULT_AFTER_STEP", "x")
    assert execute(_write_plan(tmp_path)).applied is True
    with pytest.raises(InjectedFault):
        monkeypatch.setenv("KEYDOCTOR_FAULT_AFTER_STEP", "1")
        StepCounter().after_step()


def test_describe_names_foreign_errors_by_class_and_masks_them() -> None:
    assert _describe(FixError("our own words")) == "our own words"
    assert _describe(RuntimeError("")) == "RuntimeError"
    assert _describe(RuntimeError("  \n")) == "RuntimeError"
    assert _describe(KeyError("k")) == "KeyError: 'k'"
    assert _describe(FixError(f"aws_secret_access_key={SECRET}")) == (
        "aws_secret_access_key=<secret redacted>"
    )


def test_diff_lines_in_place_and_by_difflib() -> None:
    """``_diff_lines`` is the unmasked form of the diff (no fix calls it; the property tests
    of the preview do): in place when the line count stays, by difflib otherwise."""
    from keydoctor.fixes.plan import _diff_lines

    assert _diff_lines(["a\n", "b\n"], ["a\n", "c\n"], "now", "after") == [
        "--- now\n",
        "+++ after\n",
        "@@ -1,2 +1,2 @@\n",
        " a\n",
        "-b\n",
        "+c\n",
    ]
    old = [f"{n}\n" for n in "abcdefghij"]
    new = old[:8] + ["x\n"] + old[8:]
    assert _diff_lines(old, new, "o", "n") == [
        "--- o\n",
        "+++ n\n",
        "@@ -6,5 +6,6 @@\n",
        " f\n",
        " g\n",
        " h\n",
        "+x\n",
        " i\n",
        " j\n",
    ]
    assert _diff_lines(old, old, "o", "n") == []
    assert _diff_lines([], [], "o", "n") == []
    assert _diff_lines(["a\n"], [], "o", "n") == ["--- o\n", "+++ n\n", "@@ -1 +0,0 @@\n", "-a\n"]


def test_a_step_describes_itself_and_a_file_write_shows_its_diff(tmp_path: Path) -> None:
    class Named(Step):
        title = "do the thing"

    assert Named().preview() == "do the thing"
    assert Named().fingerprint() == "Named: do the thing"
    with pytest.raises(NotImplementedError):
        Named().run(RunState())
    Named().undo(RunState())  # nothing to put back
    path = str(tmp_path / "f")
    step = FileWrite(path, b"region = a\n", lambda t, _s: t, "region = b\n")
    assert step.diff() == unified_diff(path, "region = a\n", "region = b\n")
    assert step.diff() == (
        f"--- {path} (now)\n+++ {path} (after fix)\n@@ -1 +1 @@\n-region = a\n+region = b\n"
    )


def test_each_profile_is_judged_on_its_own(tmp_path: Path) -> None:
    """A profile with no keys, one whose keys conflict, one whose credentials hold other
    keys and one whose credentials hold the same keys do not stop the profiles after them."""
    zw_secret = SECRET[:10] + "\u200b" + SECRET[10:]
    config, creds = _files(
        tmp_path,
        "[default]\nregion = eu-west-1\n"
        f"[profile other]\naws_access_key_id = {KEY2}\n"
        f"[profile same]\naws_access_key_id = {KEY}\naws_secret_access_key = {zw_secret}\n"
        "aws_session_token =\n"
        f"[profile new]\naws_access_key_id = {KEY}\naws_secret_access_key = {zw_secret}\n",
        f"[other]\naws_secret_access_key = {SECRET}\n"
        f"[same]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n",
    )
    plan = plan_move_keys(config, creds)
    assert plan.notes == [
        "profile other: the credentials file already holds other keys ((empty)), which win "
        f"over the config file's (AKIA…MPLE); not moved. Delete the pair you do not use "
        f"from {config}",
        f"profile same: removed from {config} (the credentials file already holds the same keys)",
        f"profile new: aws_access_key_id, aws_secret_access_key moved to {creds}",
    ]
    first, second = plan.steps
    assert isinstance(first, FileWrite) and isinstance(second, FileWrite)
    # key material is written without the invisible character it held
    assert first.preview_after == Path(creds).read_text() + (
        f"\n[new]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n"
    )
    assert second.preview_after == (
        "[default]\nregion = eu-west-1\n[profile other]\n"
        f"aws_access_key_id = {KEY2}\n[profile same]\n[profile new]\n"
    )


def test_the_notes_mask_key_ids_cleaned_of_invisible_characters(tmp_path: Path) -> None:
    damaged = "AKI\u200bAIOSFODNN7EXAMPLE"
    config, creds = _files(
        tmp_path,
        f"[default]\naws_secret_access_key = {SECRET}\n"
        f"[profile dev]\naws_access_key_id = {damaged}\n",
        f"[default]\naws_access_key_id = {KEY2}\n[dev]\naws_access_key_id = {damaged}x\n",
    )
    assert plan_move_keys(config, creds).notes == [
        "profile default: the credentials file already holds other keys (AKIA…MPLE), which "
        f"win over the config file's ((empty)); not moved. Delete the pair you do not use "
        f"from {config}",
        "profile dev: the credentials file already holds other keys (AKIA…PLEx), which "
        f"win over the config file's (AKIA…MPLE); not moved. Delete the pair you do not use "
        f"from {config}",
    ]


def test_plan_edges_noted_lines_empty_diffs_and_restored_modes(tmp_path: Path) -> None:
    assert _noted("a  \n", " (n)") == "a   (n)\n"  # only the line ending goes after the note
    assert _noted("aX\n", " (n)") == "aX (n)\n"
    assert unified_diff("F", "", "") == ""
    missing = Chmod(str(tmp_path / "missing"), 0o600)
    assert missing.fingerprint() == f"chmod {tmp_path / 'missing'} from 0 to 600"
    blocked = Plan("x", Safety.SAFE, "s", blocked="why")
    assert execute(blocked).plan is blocked
    path = tmp_path / "f"
    path.write_bytes(b"a\n")
    os.chmod(path, 0o640)
    step = FileWrite(str(path), b"a\n", lambda t, _s: "b\n", "b\n", mode=0o600)
    state = RunState()
    step.run(state)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    step.undo(state)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # the old mode comes back too


def test_a_new_private_folder_belongs_to_its_parents_owner(tmp_path: Path) -> None:
    """Run as root (as CI runs), a folder a fix creates is given to the owner of the folder
    it is made in; run as anyone else it is theirs anyway."""
    parent = tmp_path / "home"
    parent.mkdir()
    owner = 4321 if os.geteuid() == 0 else os.geteuid()
    if os.geteuid() == 0:
        os.chown(parent, owner, owner)
    step = FileWrite(str(parent / "aws" / "credentials"), None, lambda t, _s: "x\n", "x\n")
    step.run(RunState())
    made = (parent / "aws").stat()
    assert (made.st_uid, stat.S_IMODE(made.st_mode)) == (owner, 0o700)


def test_file_write_titles_state_and_someone_elses_edit(tmp_path: Path) -> None:
    path = tmp_path / "f"
    assert FileWrite(str(path), None, lambda t, _s: t, "", why="a" * 60).title == (
        f"write {path} ({'a' * 60})"
    )
    # the render sees the run's state (a rotation's new key is known only then)
    path.write_bytes(b"k = ")
    step = FileWrite(str(path), b"k = ", lambda t, s: t + str(s.values["new"]), "k = <new>")
    step.run(RunState(values={"new": "v1"}))
    assert path.read_bytes() == b"k = v1"
    # this run wrote the file, and then someone else changed it: refused all the same
    path.write_bytes(b"theirs")
    late = FileWrite(str(path), b"planned", lambda t, _s: "x", "x")
    with pytest.raises(FixError):
        late.run(RunState(written={str(path): b"k = v1"}))
    assert path.read_bytes() == b"theirs"
