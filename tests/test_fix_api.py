"""The fixes as a library: the INI editor, the tidy rules, and the lab's "fix it" hook."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from keydoctor.fixes import finding_fixes, fix_scenario, fixes_for_findings, ini
from keydoctor.fixes.tidy import clean_value, tidy_sections, tidy_values
from keydoctor.lab.emulator import Emulator

SELF_ROTATION = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["iam:*AccessKey*", "sts:GetCallerIdentity"], "Resource": "*"}
    ],
}

FIXTURES = Path(__file__).parent / "fixtures" / "fix" / "tidy"


# -- the INI editor --------------------------------------------------------------------


def test_set_options_replaces_only_the_value() -> None:
    text = "# c\n[default]\naws_access_key_id\t=  OLD ; not a comment to configparser\nx=1\n"
    out = ini.set_options(
        text,
        ini.profile_matcher("credentials", "default"),
        "default",
        {"aws_access_key_id": "NEW", "aws_secret_access_key": "S"},
    )
    assert out == "# c\n[default]\naws_access_key_id\t=  NEW\nx=1\naws_secret_access_key = S\n"


def test_set_options_appends_a_section_with_the_file_line_endings() -> None:
    text = "[a]\r\nk = v"
    out = ini.set_options(
        text, ini.profile_matcher("config", "dev"), "profile dev", {"region": "eu-west-1"}
    )
    assert out == "[a]\r\nk = v\r\n\r\n[profile dev]\r\nregion = eu-west-1\r\n"


def test_set_options_inserts_before_trailing_comments_and_blanks() -> None:
    text = "[profile dev]\nregion = x\n\n# next\n[profile qa]\n"
    out = ini.set_options(
        text, ini.profile_matcher("config", "dev"), "profile dev", {"output": "json"}
    )
    assert out == "[profile dev]\nregion = x\noutput = json\n\n# next\n[profile qa]\n"


def test_remove_options_takes_continuation_lines_with_it() -> None:
    text = "[default]\nregion = x\ns3 =\n  addressing_style = path\noutput = json\n"
    out = ini.remove_options(text, ini.profile_matcher("config", "default"), {"s3"})
    assert out == "[default]\nregion = x\noutput = json\n"


def test_profile_matcher_follows_botocore_naming() -> None:
    config = ini.profile_matcher("config", "dev")
    assert config("profile dev") and config(" profile  dev ")
    assert not config("dev") and not config("profile devx")
    assert ini.profile_matcher("config", "default")("default")
    assert ini.profile_matcher("credentials", "dev")("dev")
    assert not ini.profile_matcher("credentials", "dev")("profile dev")


# -- the tidy rules ----------------------------------------------------------------------


def test_clean_value_keeps_meaningful_quotes() -> None:
    assert clean_value("credential_process", '"/opt/my tool" --json') == '"/opt/my tool" --json'
    assert clean_value("region", "'eu-west-1'") == "eu-west-1"
    assert clean_value("role_session_name", '"two words"') == '"two words"'
    assert (
        clean_value("aws_access_key_id", "AKIA\u200bY34FZKBOKMUTVV7A\u00a0")
        == "AKIAY34FZKBOKMUTVV7A"
    )


_CHARS = st.sampled_from(
    [
        "[default]",
        "[profile x]",
        "[x]",
        "a = 1",
        "b=\u00a0'2' ",
        'c = "3"\u200b',
        "# note",
        "; n",
        "",
        "  nested = 1",
        "\ufeff",
        "aws_secret_access_key =  q8Rk2T0x/Zb+W4 ",
    ]
)
_TEXT = st.lists(_CHARS, max_size=12).flatmap(
    lambda lines: st.sampled_from(["\n", "\r\n"]).map(lambda nl: nl.join(lines))
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(_TEXT)
def test_tidy_is_idempotent_and_keeps_comments(text: str) -> None:
    once = tidy_values(text).text
    assert tidy_values(once).text == once
    assert "\r\n" not in once and not once.startswith("\ufeff")
    kept = [
        line
        for line in text.replace("\r\n", "\n").split("\n")
        if line.lstrip().startswith(("#", ";"))
    ]
    assert [line for line in once.split("\n") if line.lstrip().startswith(("#", ";"))] == kept
    for kind in ("config", "credentials"):
        sections = tidy_sections(once, kind).text
        assert tidy_sections(sections, kind).text == sections


def test_the_rules_declare_which_fix_repairs_them() -> None:
    from keydoctor.checks import all_rules
    from keydoctor.fixes import FIX_NAMES
    from keydoctor.registry import every_rule

    declared = finding_fixes()
    assert set(declared) <= set(every_rule())
    assert set(declared.values()) <= set(FIX_NAMES)
    offline = {code for code in declared if code[2] in "12345"}
    assert offline <= set(all_rules())
    assert {declared[code] for code in offline} == {"tidy", "move-keys"}
    # The section renames can change which credentials are used: they need --unsafe.
    assert all_rules()["KD301"].remedy.unsafe and not all_rules()["KD309"].remedy.unsafe
    assert declared["KD702"] == "set-region"


def test_findings_choose_fixes_in_a_stable_order() -> None:
    from keydoctor.model import Category, Finding, Severity

    def finding(code: str) -> Finding:
        return Finding(code, Severity.HIGH, Category.HYGIENE, "t", "e", "f")

    assert fixes_for_findings([finding("KD702"), finding("KD205"), finding("KD305")]) == [
        "tidy",
        "set-region",
        "move-keys",
    ]
    # A rule whose fix is a manual step calls for no keydoctor fix (rotation is asked for
    # by name: `keydoctor fix rotate-key`).
    assert fixes_for_findings([finding("KD712"), finding("KD999")]) == []


# -- the lab's "fix it" hook -------------------------------------------------------------


def test_fix_scenario_repairs_what_the_audit_found(clean_env: dict[str, str]) -> None:
    from keydoctor.audit import run_audit

    aws = Path(clean_env["HOME"]) / ".aws"
    for name in ("credentials", "config"):
        shutil.copyfile(FIXTURES / "messy" / name, aws / name)
        (aws / name).chmod(0o644)
    before = {f.code for f in run_audit(environ=clean_env, profile="work").findings}
    assert fixes_for_findings(run_audit(environ=clean_env, profile="work").findings) == ["tidy"]
    assert {"KD301", "KD306"} <= before
    report = fix_scenario(clean_env, profile="work", unsafe=True)
    assert report.ok, report.summary()
    after = {f.code for f in run_audit(environ=clean_env, profile="work").findings}
    assert not after & set(finding_fixes()), after
    # Without consent the unsafe part is only planned, and says so.
    shutil.copyfile(FIXTURES / "messy" / "credentials", aws / "credentials")
    report = fix_scenario(clean_env, fixes=["tidy"], unsafe=False)
    assert any("skipped" in line for line in report.summary())


def test_fix_scenario_rotates_a_key(moto_server: Emulator, clean_env: dict[str, str]) -> None:
    keys = moto_server.create_user(f"lab{uuid.uuid4().hex[:8]}", SELF_ROTATION)
    path = Path(clean_env["HOME"]) / ".aws" / "credentials"
    path.write_text(
        f"[default]\naws_access_key_id = {keys.access_key_id}\n"
        f"aws_secret_access_key = {keys.secret_access_key}\n"
    )
    report = fix_scenario(
        clean_env, fixes=["rotate-key"], endpoint_url=moto_server.endpoint, unsafe=True
    )
    assert report.ok, report.summary()
    assert keys.access_key_id not in path.read_text()
    assert not any(keys.secret_access_key in line for line in report.summary())


_VALUE = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+",
    min_size=1,
    max_size=40,
)
# Files botocore reads: an optional comment or blank line, then sections with distinct
# headers, each with distinct keys (configparser is strict about duplicates), where an
# indented line only follows the key whose value it continues (``s3 =``).
_BODY_ITEMS = (
    ("aws_access_key_id = OLD",),
    ("region=x",),
    ("# c",),
    ("",),
    ("s3 =", "  addressing_style = path"),
    ("aws_secret_access_key =   OLDSECRET  ",),
)
_SECTION = st.tuples(
    st.sampled_from(["[default]", "[profile dev]", "[dev]"]),
    st.lists(st.sampled_from(_BODY_ITEMS), unique=True, max_size=6),
)
_EXISTING = st.tuples(
    st.lists(st.sampled_from(["# c", ""]), max_size=2),
    st.lists(_SECTION, unique_by=lambda section: section[0], max_size=3),
).map(
    lambda parts: [
        *parts[0],
        *(line for header, body in parts[1] for line in (header, *sum(body, ()))),
    ]
)


@settings(max_examples=300, deadline=None, derandomize=True)
@example(
    ["[default]", "aws_access_key_id = OLD", "# c", "  addressing_style = path"],
    "0",
    "s",
    "default",
    "\n",
)
@given(
    _EXISTING, _VALUE, _VALUE, st.sampled_from(["default", "dev"]), st.sampled_from(["\n", "\r\n"])
)
def test_botocore_reads_what_set_options_writes(
    lines: list[str],
    key_id: str,
    secret: str,
    profile: str,
    newline: str,
) -> None:
    import tempfile

    from botocore import configloader

    text = newline.join(lines)
    with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as handle:
        handle.write(text)
    # The strategy makes only files botocore reads, so every example reaches the checks.
    configloader.raw_config_parse(handle.name)
    out = ini.set_options(
        text,
        ini.profile_matcher("credentials", profile),
        profile,
        {"aws_access_key_id": key_id, "aws_secret_access_key": secret},
    )
    with open(handle.name, "w", newline="") as rewrite:
        rewrite.write(out)
    parsed = configloader.raw_config_parse(handle.name)
    os.unlink(handle.name)
    assert parsed[profile]["aws_access_key_id"] == key_id
    assert parsed[profile]["aws_secret_access_key"] == secret
    # Every line of the original that is not a key line being replaced is still there.
    # (indented lines right after a replaced key line belonged to that key's old value).
    kept: list[str] = []
    in_replaced_value = False
    for line in text.splitlines():
        if line.startswith("aws_"):
            in_replaced_value = True
            continue
        if in_replaced_value and line[:1] in (" ", "\t") and line.strip():
            continue
        if in_replaced_value and (not line.strip() or line.strip()[0] in "#;"):
            kept.append(line)  # blank and comment lines do not end a value
            continue
        in_replaced_value = False
        kept.append(line)
    remaining = out.splitlines()
    for line in kept:
        if line:
            assert line in remaining
    if "\r\n" in text:  # inserted lines follow the file's own line endings
        assert out.count("\n") == out.count("\r\n")


def test_tidy_then_rotate_in_one_run(moto_server: Emulator, clean_env: dict[str, str]) -> None:
    keys = moto_server.create_user(f"lab{uuid.uuid4().hex[:8]}", SELF_ROTATION)
    path = Path(clean_env["HOME"]) / ".aws" / "credentials"
    path.write_bytes(
        f"[default]\r\naws_access_key_id = {keys.access_key_id} \r\n"
        f"aws_secret_access_key = {keys.secret_access_key}\r\n".encode()
    )
    report = fix_scenario(
        clean_env, fixes=["tidy", "rotate-key"], endpoint_url=moto_server.endpoint, unsafe=True
    )
    assert report.ok, report.summary()
    text = path.read_bytes().decode()
    assert "\r" not in text and keys.access_key_id not in text
    assert text.startswith("[default]\naws_access_key_id = AKIA")


def test_fix_scenario_follows_live_finding_codes(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    """A lab scenario's check reported KD702 (bucket elsewhere): the hook sets the region."""
    bucket = f"lab-{uuid.uuid4().hex[:10]}"
    moto_server.create_bucket(bucket, "eu-west-1")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
                "Resource": "*",
            }
        ],
    }
    keys = moto_server.create_user(f"lab{uuid.uuid4().hex[:8]}", policy)
    aws = Path(clean_env["HOME"]) / ".aws"
    (aws / "credentials").write_text(
        f"[default]\naws_access_key_id = {keys.access_key_id}\n"
        f"aws_secret_access_key = {keys.secret_access_key}\n"
    )
    (aws / "config").write_text("[default]\nregion = us-east-1\n")
    report = fix_scenario(
        clean_env, findings=["KD702"], bucket=bucket, endpoint_url=moto_server.endpoint
    )
    assert [p.name for p in report.plans] == ["set-region"]
    assert report.ok, report.summary()
    assert (aws / "config").read_text() == "[default]\nregion = eu-west-1\n"
    # Without the bucket's name, set-region cannot run and is not planned.
    assert fix_scenario(clean_env, findings=["KD702"], apply=False).plans == []


def test_ctrl_c_mid_plan_undoes_then_interrupts(tmp_path: Path) -> None:
    import pytest

    from keydoctor.fixes.plan import FileWrite, Plan, RunState, Safety, Step, execute

    class Interrupted(Step):
        title = "a step the user interrupts"

        def run(self, state: RunState) -> None:
            raise KeyboardInterrupt

    path = tmp_path / "credentials"
    path.write_bytes(b"[default]\r\nregion = x\r\n")
    path.chmod(0o640)
    plan = Plan(
        "demo",
        Safety.SAFE,
        "demo",
        steps=[
            FileWrite(
                str(path),
                path.read_bytes(),
                lambda text, _s: text.replace("\r", ""),
                "",
                mode=0o600,
            ),
            Interrupted(),
        ],
    )
    with pytest.raises(KeyboardInterrupt):
        execute(plan)
    assert path.read_bytes() == b"[default]\r\nregion = x\r\n"
    assert path.stat().st_mode & 0o777 == 0o640
    [backup] = tmp_path.glob("credentials.keydoctor-*.bak")
    assert backup.read_bytes() == b"[default]\r\nregion = x\r\n"


def test_findings_in_environment_variables_call_for_no_file_fix() -> None:
    from keydoctor.fixes import fixes_for_findings
    from keydoctor.model import Category, Finding, Location, Severity

    def finding(kind: str) -> Finding:
        return Finding(
            "KD101",
            Severity.HIGH,
            Category.SECRET_WRONG,
            "t",
            "e",
            "f",
            Location(kind=kind, key="AWS_SECRET_ACCESS_KEY"),
        )

    assert fixes_for_findings([finding("env")]) == []
    assert fixes_for_findings([finding("file")]) == ["tidy"]
    assert fixes_for_findings(["KD101"]) == ["tidy"]


def _patch(old: list[str], diff: str) -> list[str]:
    """Apply a unified diff (as the preview prints it, before the display markers)."""
    import re

    out: list[str] = []
    position = 0
    for line in diff.splitlines(keepends=True)[2:]:
        hunk = re.match(r"@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@", line)
        if hunk:
            start = int(hunk.group(1)) - (1 if int(hunk.group(2) or 1) else 0)
            out += old[position:start]
            position = start
        elif line[0] == " ":
            out.append(line[1:])
            position += 1
        elif line[0] == "-":
            position += 1
        else:
            out.append(line[1:])
    return out + old[position:]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.lists(st.sampled_from(["[a]\n", "k = v\n", "k = w\n", "\n", "x\n"]), max_size=40),
    st.lists(st.sampled_from(["[a]\n", "k = v\n", "k = x\n", "\n"]), max_size=40),
    st.booleans(),
)
def test_preview_diff_turns_the_old_text_into_the_new(
    old: list[str], other: list[str], in_place: bool
) -> None:
    """Edits that keep the line count are diffed line by line (linear time); others by
    difflib. Either way the diff shown is a correct patch."""
    from keydoctor.fixes.plan import _diff_lines

    new = (
        [o if i % 3 else n for i, (o, n) in enumerate(zip(old, other * 40, strict=False))]
        if in_place
        else other
    )
    if in_place:
        new += old[len(new) :]
    diff = "".join(_diff_lines(old, new, "now", "after"))
    assert _patch(old, diff) == new
    assert (diff == "") == (old == new)


def test_a_large_in_place_diff_is_one_pass() -> None:
    """5,000 identical lines changed in place: the diff pairs lines by position."""
    from keydoctor.fixes.plan import _diff_lines

    old = ["[p]\n", "aws_access_key_id = AKIAY34FZKBOKMUTVV7A\t\n"] * 5000
    new = ["[p]\n", "aws_access_key_id = AKIAY34FZKBOKMUTVV7A\n"] * 5000
    diff = _diff_lines(old, new, "now", "after")
    assert diff[2] == "@@ -1,10000 +1,10000 @@\n"
    assert sum(line.startswith("-") for line in diff[2:]) == 5000
    assert _patch(old, "".join(diff)) == new
