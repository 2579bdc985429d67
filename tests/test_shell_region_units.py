"""Printed commands (:mod:`keydoctor.shell`) and the ``set-region`` plan, exactly.

A printed fix is pasted into a terminal, so each expectation below is what a POSIX shell
must receive: one word per argument, whatever blanks or metacharacters a value holds.
The region plan is checked as the bytes it would write, without any AWS call.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

from keydoctor.fixes.plan import FileWrite, FixError, RunState, Safety
from keydoctor.fixes.region import _header_region, plan_set_region
from keydoctor.shell import command, profile_args, quote, runnable_part


def test_command_quotes_each_argument_for_the_shell() -> None:
    line = command("aws", "configure", "set", "region", "us-east-1", "--profile", "my dev")
    assert line == "aws configure set region us-east-1 --profile 'my dev'"
    hostile = command("chmod", "600", "/home/a b/$(id)/it's")
    assert hostile == "chmod 600 '/home/a b/$(id)/it'\"'\"'s'"
    assert shlex.split(hostile) == ["chmod", "600", "/home/a b/$(id)/it's"]
    assert command() == ""
    assert command("") == "''"


@pytest.mark.parametrize(
    ("profile", "args"),
    [
        (None, ()),
        ("", ()),
        ("default", ()),
        ("dev", ("--profile", "dev")),
        ("Default", ("--profile", "Default")),
    ],
)
def test_profile_args(profile: str | None, args: tuple[str, ...]) -> None:
    assert profile_args(profile) == args


def test_quote() -> None:
    assert quote("plain") == "plain"
    assert quote("a b") == "'a b'"
    assert quote("") == "''"


@pytest.mark.parametrize(
    ("fix", "runnable"),
    [
        (
            "chmod 600 /h/.aws/credentials   (or remove group and other access)",
            "chmod 600 /h/.aws/credentials",
        ),
        ("  keydoctor fix tidy  (previews first)", "keydoctor fix tidy"),
        ("aws configure set region eu-west-1", "aws configure set region eu-west-1"),
        (
            "echo '(kept)' (one blank: part of the command)",
            "echo '(kept)' (one blank: part of the command)",
        ),
        ("a  (b)  (c)", "a"),
        ("", ""),
    ],
)
def test_runnable_part(fix: str, runnable: str) -> None:
    assert runnable_part(fix) == runnable


def test_header_region() -> None:
    headers = {"ResponseMetadata": {"HTTPHeaders": {"x-amz-bucket-region": "eu-west-2"}}}
    assert _header_region(headers) == "eu-west-2"
    assert (
        _header_region({"ResponseMetadata": {"HTTPHeaders": {"x-amz-bucket-region": ""}}}) is None
    )
    assert _header_region({"ResponseMetadata": {}}) is None
    assert _header_region({}) is None


def test_set_region_in_an_existing_profile(tmp_path: Path) -> None:
    config = tmp_path / "config"
    before = "[default]\nregion = us-east-1\n[profile dev]\noutput = json\nregion = us-east-1\n"
    config.write_text(before)
    plan = plan_set_region(str(config), "dev", "eu-west-1", "us-east-1")
    assert (plan.name, plan.safety, plan.summary) == (
        "set-region",
        Safety.SAFE,
        "set region = eu-west-1 in profile dev",
    )
    (step,) = plan.steps
    assert isinstance(step, FileWrite)
    after = "[default]\nregion = us-east-1\n[profile dev]\noutput = json\nregion = eu-west-1\n"
    assert step.preview_after == after
    assert step.before == before.encode()
    assert step.mode is None  # an existing file keeps its mode
    assert step.why == "region of profile dev"
    assert step.render(before, RunState()) == after
    assert plan.notes == ["profile dev: region us-east-1 -> eu-west-1"]
    assert config.read_text() == before  # planning writes nothing


def test_set_region_adds_the_setting_and_the_section(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("[default]\noutput = json\n")
    default = plan_set_region(str(config), "default", "ap-south-1", None)
    (step,) = default.steps
    assert isinstance(step, FileWrite)
    assert step.preview_after == "[default]\noutput = json\nregion = ap-south-1\n"
    assert default.notes == []
    named = plan_set_region(str(config), "ops", "ap-south-1", "")
    (step,) = named.steps
    assert isinstance(step, FileWrite)
    assert step.preview_after == (
        "[default]\noutput = json\n\n[profile ops]\nregion = ap-south-1\n"
    )
    assert named.notes == []


def test_set_region_creates_a_private_config_file(tmp_path: Path) -> None:
    config = tmp_path / "config"
    plan = plan_set_region(str(config), "default", "eu-north-1", None)
    (step,) = plan.steps
    assert isinstance(step, FileWrite)
    assert step.before is None
    assert step.mode == 0o600
    assert step.preview_after == "[default]\nregion = eu-north-1\n"
    assert not config.exists()


def test_set_region_when_it_is_already_right(tmp_path: Path) -> None:
    plan = plan_set_region(str(tmp_path / "config"), "dev", "eu-west-1", "eu-west-1")
    assert plan.steps == []
    assert plan.notes == ["profile dev already uses eu-west-1"]


def test_set_region_refuses_files_it_cannot_read(tmp_path: Path) -> None:
    latin = tmp_path / "config"
    latin.write_bytes(b"[caf\xe9]\n")
    with pytest.raises(FixError) as info:
        plan_set_region(str(latin), "dev", "eu-west-1", None)
    assert str(info.value) == f"{latin} is not UTF-8 text; save it as UTF-8 first"
    folder = tmp_path / "dir"
    folder.mkdir()
    with pytest.raises(FixError) as info:
        plan_set_region(str(folder), "dev", "eu-west-1", None)
    assert str(info.value).startswith(f"{folder} cannot be read (")
    assert sorted(os.listdir(tmp_path)) == ["config", "dir"]  # nothing written beside them
