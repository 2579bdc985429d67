"""``tidy`` as text in, text out: the exact bytes and the exact change notes.

The golden cases of ``test_fix_tidy.py`` run the CLI; these call the pure functions of
:mod:`keydoctor.fixes.tidy` directly, so each rule (what is stripped, what is kept, which
header is renamed, which duplicate is merged) is pinned by a small input whose right
output can be worked out by reading botocore's configparser rules, and they run fast
enough for a mutation run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from keydoctor.fixes.plan import Chmod, FileWrite, RunState, Safety
from keydoctor.fixes.tidy import (
    _read_text,
    _target_header,
    clean_value,
    plan_tidy,
    tidy_sections,
    tidy_values,
    wanted_mode,
)
from keydoctor.sources.files import MAX_FILE_BYTES

KEY = "AKIAIOSFODNN7EXAMPLE"


@pytest.mark.parametrize(
    ("key", "value", "cleaned"),
    [
        ("region", "  us-east-1 \t", "us-east-1"),
        ("region", "us-east-1\u200b\u00a0", "us-east-1"),
        ("region", "\ufeff\u2060us-east-1\u200c\u200d\f\v", "us-east-1"),
        ("region", '"us-east-1"', "us-east-1"),
        ("region", "'us-east-1'", "us-east-1"),
        ("region", ' " us-east-1\t" ', "us-east-1"),
        ("region", '""', ""),
        ("region", '"', '"'),
        ("region", "'us-east-1\"", "'us-east-1\""),
        ("output", '"a b"', '"a b"'),  # a blank inside: the quotes may be meant
        ("region", "us\u200beast-1", "us\u200beast-1"),  # inside a plain value: kept
        ("region", '"\u200bus-east-1\u00a0"', "us-east-1"),  # inside the quotes too
        ("output", "XtextX", "XtextX"),  # equal letters at both ends are no quotes
        ("credential_process", '"/opt/bin/creds"', '"/opt/bin/creds"'),
        ("aws_access_key_id", " AKIA IOSF\u200bODNN7\tEXAMPLE\u00a0", KEY),
        ("aws_secret_access_key", "'abc/def+ghi'", "abc/def+ghi"),
        ("aws_session_token", "tok\u2060en\u200d", "token"),
        ("aws_security_token", "a b\u00a0c", "abc"),
    ],
)
def test_clean_value(key: str, value: str, cleaned: str) -> None:
    assert clean_value(key, value) == cleaned


def test_byte_order_mark_and_windows_line_endings() -> None:
    result = tidy_values("\ufeff[default]\r\nregion = us-east-1 \r\noutput = json\r\n")
    assert result.text == "[default]\nregion = us-east-1\noutput = json\n"
    assert result.changes == [
        "removed the byte-order mark at the start of the file",
        "converted 3 Windows (CRLF) line endings to LF",
        "line 2: cleaned the value of region",
    ]
    assert result.left == []


def test_clean_files_stay_as_they_are() -> None:
    text = (
        "# my keys\n[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
        "aws_secret_access_key=abc\n; note\n[profile x]\nregion: eu-west-1\n  \nlast = 1"
    )
    result = tidy_values(text)
    assert result.text == text
    assert result.changes == []


def test_key_material_gets_one_blank_after_the_separator() -> None:
    text = (
        "[default]\naws_access_key_id =\tAKIAIOSFODNN7EXAMPLE\n"
        "aws_secret_access_key =    abc\nregion =    us-east-1\nAWS_SESSION_TOKEN:\t\ttok\n"
        "aws_session_token =\n"
    )
    result = tidy_values(text)
    assert result.text == (
        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
        "aws_secret_access_key = abc\nregion =    us-east-1\nAWS_SESSION_TOKEN: tok\n"
        "aws_session_token =\n"
    )
    assert result.changes == [
        "line 2: cleaned the value of aws_access_key_id",
        "line 3: cleaned the value of aws_secret_access_key",
        "line 5: cleaned the value of aws_session_token",
    ]


def test_a_stripped_separator_leaves_one_blank() -> None:
    result = tidy_values("[default]\nregion =\u00a0us-east-1\noutput=\u00a0json\nempty =\u00a0\n")
    assert result.text == "[default]\nregion = us-east-1\noutput= json\nempty =\n"
    assert result.changes == [
        "line 2: cleaned the value of region",
        "line 3: cleaned the value of output",
        "line 4: cleaned the value of empty",
    ]


def test_invisible_characters_before_the_key_go() -> None:
    result = tidy_values("[default]\n\u200bregion = us-east-1\n")
    assert result.text == "[default]\nregion = us-east-1\n"
    assert result.changes == ["line 2: cleaned the value of region"]


def test_a_known_setting_folded_into_the_value_above_is_unfolded() -> None:
    text = (
        "[default]\nregion = us-east-1\n\tAws_Access_Key_Id = AKIAIOSFODNN7EXAMPLE\n"
        "  aws_secret_access_key = abc \n"
    )
    result = tidy_values(text)
    assert result.text == (
        "[default]\nregion = us-east-1\nAws_Access_Key_Id = AKIAIOSFODNN7EXAMPLE\n"
        "aws_secret_access_key = abc\n"
    )
    assert result.changes == [
        "line 3: removed the indentation that folded aws_access_key_id into the value above",
        "line 4: removed the indentation that folded aws_secret_access_key into the value above",
        "line 4: cleaned the value of aws_secret_access_key",
    ]


@pytest.mark.parametrize(
    "text",
    [
        # a deliberate multi-line value: not a setting botocore reads
        "[default]\nregion = us-east-1\n  foo = bar\n",
        # an empty value: the indented lines are its value (nested s3 settings)
        "[default]\ns3 =\n  addressing_style = path\n",
        # after a header, an indented setting is read as a setting already
        "[a]\nregion = us-east-1\n[b]\n\taws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
        # an indented line that is no setting at all
        "[default]\nregion = us-east-1\n  just words\n",
    ],
)
def test_indented_lines_that_are_not_folded_settings_stay(text: str) -> None:
    assert tidy_values(text).text == text


def test_an_indented_header_does_not_end_the_folding() -> None:
    # configparser reads "  [x]" inside a section as a continuation of the value above,
    # so the setting after it still folds into "region".
    text = "[default]\nregion = us-east-1\n  [x]\n\taws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
    result = tidy_values(text)
    assert result.text == (
        "[default]\nregion = us-east-1\n  [x]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
    )


@pytest.mark.parametrize(
    ("kind", "header", "wanted"),
    [
        ("credentials", "profile dev", "dev"),
        ("credentials", "dev", None),
        ("credentials", " dev ", "dev"),
        ("credentials", "profile  dev", "dev"),
        ("credentials", "a b c", None),
        ("credentials", "prof dev", None),
        ("credentials", "", None),
        ("credentials", "  ", None),
        ("config", "dev", "profile dev"),
        ("config", "profile dev", None),
        ("config", "profile   dev", "profile dev"),
        ("config", "default", None),
        ("config", " default", "default"),
        ("config", "plugins", None),
        ("config", "preview", None),
        ("config", "sso-session corp", None),
        ("config", "a b c", None),
    ],
)
def test_target_header(kind: str, header: str, wanted: str | None) -> None:
    assert _target_header(kind, header) == wanted


def test_sections_are_renamed_in_place_keeping_comments() -> None:
    text = "[profile dev] # mine\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n[ops]\nx = 1\n"
    result = tidy_sections(text, "credentials")
    assert result.text == "[dev] # mine\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n[ops]\nx = 1\n"
    assert result.changes == ["line 1: renamed [profile dev] to [dev]"]
    config = tidy_sections("[default]\nregion = a\n[dev]\nregion = b\n", "config")
    assert config.text == "[default]\nregion = a\n[profile dev]\nregion = b\n"
    assert config.changes == ["line 3: renamed [dev] to [profile dev]"]


def test_duplicate_sections_are_merged_into_the_first() -> None:
    text = (
        "[dev]\nregion = us-east-1\n# end of dev\n\n"
        "[ops]\nregion = eu-west-1\n"
        "[dev]\nregion = us-east-1\noutput = json\ncli_pager =\n  less\n"
    )
    result = tidy_sections(text, "credentials")
    assert result.text == (
        "[dev]\nregion = us-east-1\noutput = json\ncli_pager =\n  less\n# end of dev\n\n"
        "[ops]\nregion = eu-west-1\n"
    )
    assert result.changes == [
        "line 7: merged the duplicate section [dev] into the one at line 1 (3 setting(s) moved)"
    ]
    assert result.left == []


def test_a_duplicate_with_the_same_settings_is_dropped_and_renamed_once() -> None:
    text = "[profile dev]\nregion = a\nregion = a\n[dev]\nregion = a \n"
    result = tidy_sections(text, "credentials")
    assert result.text == "[dev]\nregion = a\n"
    assert result.changes == [
        "line 1: renamed [profile dev] to [dev]",
        "line 3: removed a repeated region with the same value",
        "line 4: merged the duplicate section [dev] into the one at line 1 (identical settings)",
    ]


def test_a_last_line_without_ending_gets_one_before_moved_settings() -> None:
    result = tidy_sections("[a]\nx = 1\r\n[b]\ny = 2\r\n[a]\nz = 3", "credentials")
    assert result.text == "[a]\nx = 1\r\nz = 3\r\n[b]\ny = 2\r\n"


def test_conflicting_duplicates_are_left_to_the_person() -> None:
    text = "[dev]\nregion = us-east-1\n[profile dev]\nregion = eu-west-1\n"
    result = tidy_sections(text, "credentials")
    assert result.text == text
    assert result.changes == []
    assert result.left == [
        "[dev] (section header at line(s) 1, 3) sets region more than once with different "
        "values; keydoctor will not choose between them: keep the one you mean and delete "
        "the other"
    ]


def test_a_conflict_inside_one_section_is_left_too() -> None:
    text = "[dev]\nregion = a\nregion = b\n[dev]\noutput = json\n"
    result = tidy_sections(text, "credentials")
    assert result.text == text
    assert result.left[0].startswith("[dev] (section header at line(s) 1, 4) sets region more")


def test_a_conflict_in_a_later_duplicate_stops_the_merge() -> None:
    text = "[dev]\nregion = a\n[dev]\noutput = json\n[dev]\nregion = b\n"
    result = tidy_sections(text, "credentials")
    assert result.text == text
    assert result.left[0].startswith("[dev] (section header at line(s) 1, 3, 5) sets region")


def test_sections_already_right_are_untouched() -> None:
    text = "[default]\nregion = a\n[profile dev]\nregion = b\n"
    result = tidy_sections(text, "config")
    assert result.text == text
    assert result.changes == []
    assert result.left == []


@pytest.mark.parametrize(
    ("mode", "wanted"),
    [
        (None, 0o600),
        (0o644, 0o600),
        (0o640, 0o600),
        (0o604, 0o600),
        (0o601, 0o600),
        (0o600, 0o600),
        (0o400, 0o400),
        (0o700, 0o700),
    ],
)
def test_wanted_mode(mode: int | None, wanted: int) -> None:
    assert wanted_mode(mode) == wanted


def test_read_text_says_why_a_file_is_left_alone(tmp_path: Path) -> None:
    assert _read_text(str(tmp_path / "absent")) is None
    assert _read_text(str(tmp_path)) == f"{tmp_path} is a directory, not a file; tidy left it alone"
    binary = tmp_path / "bin"
    binary.write_bytes(b"[a]\x00\n")
    assert (
        _read_text(str(binary)) == f"{binary} holds NUL bytes (a binary file); tidy left it alone"
    )
    latin = tmp_path / "latin"
    latin.write_bytes(b"[caf\xe9]\n")
    assert _read_text(str(latin)) == (
        f"{latin} is not UTF-8 text; tidy left it alone (save it as UTF-8 first)"
    )
    big = tmp_path / "big"
    big.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    assert _read_text(str(big)) == (
        f"{big} is larger than any real credentials file; tidy left it alone"
    )
    fits = tmp_path / "fits"
    fits.write_bytes(b"#" * MAX_FILE_BYTES)
    assert _read_text(str(fits)) == (b"#" * MAX_FILE_BYTES, "#" * MAX_FILE_BYTES)


def test_plan_tidy_for_a_file_with_both_kinds_of_trouble(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    raw = b"[profile dev]\r\naws_access_key_id = AKIAIOSFODNN7EXAMPLE \r\n"
    path.write_bytes(raw)
    os.chmod(path, 0o644)
    safe, unsafe = plan_tidy([("credentials", str(path))])
    assert (safe.name, safe.safety, unsafe.name, unsafe.safety) == (
        "tidy",
        Safety.SAFE,
        "tidy-sections",
        Safety.UNSAFE,
    )
    (write,) = safe.steps
    assert isinstance(write, FileWrite)
    assert write.path == str(path)
    assert write.before == raw
    tidied = "[profile dev]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
    assert write.preview_after == tidied
    assert write.render(raw.decode(), RunState()) == tidied
    assert write.mode == 0o600
    assert write.why == (
        "converted 2 Windows (CRLF) line endings to LF; line 2: cleaned the value of "
        "aws_access_key_id"
    )
    assert safe.notes == [
        f"{path}: converted 2 Windows (CRLF) line endings to LF",
        f"{path}: line 2: cleaned the value of aws_access_key_id",
        f"{path}: mode 644 -> 600 (only you can read it)",
    ]
    (rename,) = unsafe.steps
    assert isinstance(rename, FileWrite)
    assert rename.before == tidied.encode()
    renamed = "[dev]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
    assert rename.preview_after == renamed
    assert rename.render(tidied, RunState()) == renamed
    assert rename.mode == 0o600
    assert rename.why == "line 1: renamed [profile dev] to [dev]"
    assert unsafe.notes == [f"{path}: line 1: renamed [profile dev] to [dev]"]
    assert path.read_bytes() == raw  # planning writes nothing


def test_plan_tidy_only_chmods_a_clean_file_and_skips_what_it_cannot_read(
    tmp_path: Path,
) -> None:
    clean = tmp_path / "config"
    clean.write_text("[default]\nregion = us-east-1\n")
    os.chmod(clean, 0o664)
    (safe,) = plan_tidy(
        [("config", str(clean)), ("credentials", str(tmp_path)), ("x", str(tmp_path / "no"))]
    )
    (chmod,) = safe.steps
    assert isinstance(chmod, Chmod)
    assert (chmod.path, chmod.mode) == (str(clean), 0o600)
    assert safe.notes == [
        f"{clean}: mode 664 -> 600 (only you can read it)",
        f"{tmp_path} is a directory, not a file; tidy left it alone",
    ]


def test_plan_tidy_for_clean_private_files_is_empty(tmp_path: Path) -> None:
    clean = tmp_path / "config"
    clean.write_text("[default]\nregion = us-east-1\n")
    os.chmod(clean, 0o600)
    assert plan_tidy([("config", str(clean))]) == []


def test_plan_tidy_reports_conflicts_it_leaves(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text("[dev]\nregion = a\n[dev]\nregion = b\n")
    os.chmod(path, 0o600)
    (unsafe,) = plan_tidy([("credentials", str(path))])
    assert unsafe.name == "tidy-sections"
    assert unsafe.steps == []
    assert unsafe.notes == [
        f"{path}: not fixed: [dev] (section header at line(s) 1, 3) sets region more than "
        "once with different values; keydoctor will not choose between them: keep the one "
        "you mean and delete the other"
    ]


def test_an_indented_setting_before_any_section_is_left_alone() -> None:
    # Nothing above it to fold into: configparser stops at the missing header instead.
    text = "  region = us-east-1\n[default]\noutput = json\n"
    assert tidy_values(text).text == text


def test_a_tab_indented_header_does_not_end_the_folding_either() -> None:
    text = "[default]\nregion = us-east-1\n\t[x]\n\taws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
    assert tidy_values(text).text == (
        "[default]\nregion = us-east-1\n\t[x]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
    )


def test_blanks_inside_key_material_go_and_separators_are_kept() -> None:
    text = (
        "[default]\naws_access_key_id = AKIA IOSFODNN7EXAMPLE\nregion:\u00a0eu-west-1\n"
        "output =\t\u00a0json\n"
    )
    result = tidy_values(text)
    assert result.text == (
        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\nregion: eu-west-1\noutput =\tjson\n"
    )
    assert result.changes == [
        "line 2: cleaned the value of aws_access_key_id",
        "line 3: cleaned the value of region",
        "line 4: cleaned the value of output",
    ]


def test_duplicates_that_differ_only_by_stray_characters_are_the_same() -> None:
    text = (
        "[dev]\naws_access_key_id = AKIA IOSFODNN7EXAMPLE\n"
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
        "[dev]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\u200b\n"
    )
    result = tidy_sections(text, "credentials")
    assert result.left == []
    assert result.text == "[dev]\naws_access_key_id = AKIA IOSFODNN7EXAMPLE\n"


def test_a_conflict_between_two_later_duplicates_is_found() -> None:
    text = "[dev]\nregion = a\n[dev]\noutput = json\n[dev]\noutput = text\n"
    result = tidy_sections(text, "credentials")
    assert result.text == text
    assert result.left[0].startswith("[dev] (section header at line(s) 1, 3, 5) sets output")


def test_a_conflict_in_one_section_does_not_stop_the_others() -> None:
    text = "[dev]\nregion = a\n[dev]\nregion = b\n[profile ops]\nx = 1\n"
    result = tidy_sections(text, "credentials")
    assert result.text == "[dev]\nregion = a\n[dev]\nregion = b\n[ops]\nx = 1\n"
    assert result.changes == ["line 5: renamed [profile ops] to [ops]"]
    assert len(result.left) == 1


def test_merging_steps_over_comments_and_keeps_continuations_whole() -> None:
    text = (
        "[dev]\noutput = json\n  # indented note\n; end of dev\n"
        "[ops]\nx = 1\n"
        "[dev]\n# moved below\n\ns3 =\n\taddressing_style = path\noutput = json\nregion = a\n"
    )
    result = tidy_sections(text, "credentials")
    assert result.text == (
        "[dev]\noutput = json\ns3 =\n\taddressing_style = path\nregion = a\n"
        "  # indented note\n; end of dev\n[ops]\nx = 1\n# moved below\n\n"
    )
    assert result.changes == [
        "line 7: merged the duplicate section [dev] into the one at line 1 (3 setting(s) moved)"
    ]


def test_settings_move_under_a_header_with_nothing_else() -> None:
    text = "[ops]\nx = 1\n[dev]\n# only a comment\n[dev]\nregion = a\n"
    assert tidy_sections(text, "credentials").text == (
        "[ops]\nx = 1\n[dev]\nregion = a\n# only a comment\n"
    )


def test_lines_after_a_removed_repeat_stay() -> None:
    text = "[dev]\nregion = a\nregion = a\noutput = json\n[ops]\nx = 1\n"
    result = tidy_sections(text, "credentials")
    assert result.text == "[dev]\nregion = a\noutput = json\n[ops]\nx = 1\n"
    assert result.changes == ["line 3: removed a repeated region with the same value"]


def test_a_rename_keeps_brackets_in_the_comment() -> None:
    text = "[profile dev] # was [dev] once\nx = 1\n"
    assert tidy_sections(text, "credentials").text == "[dev] # was [dev] once\nx = 1\n"


def test_read_text_names_the_system_error(tmp_path: Path) -> None:
    long = tmp_path / ("x" * 300)
    assert (
        _read_text(str(long)) == f"{long} cannot be read (File name too long); tidy left it alone"
    )


def test_plan_tidy_summaries_and_a_list_that_starts_with_unreadable_files(
    tmp_path: Path,
) -> None:
    path = tmp_path / "credentials"
    path.write_text("[profile dev]\nregion = a \n[dev]\noutput = json\n")
    os.chmod(path, 0o400)  # stricter than 600: it stays
    safe, unsafe = plan_tidy(
        [
            ("config", str(tmp_path / "absent")),
            ("config", str(tmp_path)),
            ("credentials", str(path)),
        ]
    )
    assert safe.summary == "clean values, line endings and byte-order marks; chmod 600"
    assert unsafe.summary == "rename sections the SDK ignores and merge duplicate sections"
    (write,) = safe.steps
    assert isinstance(write, FileWrite)
    assert write.mode == 0o400
    assert safe.notes == [
        f"{tmp_path} is a directory, not a file; tidy left it alone",
        f"{path}: line 2: cleaned the value of region",
    ]
    (sections,) = unsafe.steps
    assert isinstance(sections, FileWrite)
    assert sections.path == str(path)
    assert sections.mode == 0o400
    assert sections.why == (
        "line 1: renamed [profile dev] to [dev]; line 3: merged the duplicate section [dev] "
        "into the one at line 1 (1 setting(s) moved)"
    )
    assert sections.preview_after == "[dev]\nregion = a\noutput = json\n"


def test_a_repeat_that_differs_by_a_stray_blank_is_no_conflict() -> None:
    # Key material never holds a blank: both lines of each section mean the same key id.
    text = (
        f"[dev]\naws_access_key_id = {KEY}\naws_access_key_id = AKIA IOSFODNN7EXAMPLE\n"
        "[dev]\naws_access_key_id = AKIAIOSF ODNN7EXAMPLE\noutput = json\n"
    )
    result = tidy_sections(text, "credentials")
    assert result.left == []
    assert result.text == f"[dev]\naws_access_key_id = {KEY}\noutput = json\n"


def test_three_duplicates_that_agree_are_merged() -> None:
    text = "[dev]\nregion = a\n[dev]\noutput = json\n[dev]\noutput = json\n"
    result = tidy_sections(text, "credentials")
    assert result.left == []
    assert result.text == "[dev]\nregion = a\noutput = json\n"


def test_a_comment_right_before_a_setting_in_a_duplicate() -> None:
    text = "[dev]\nregion = a\n[dev]\n# why\noutput = json\n"
    assert tidy_sections(text, "credentials").text == "[dev]\nregion = a\noutput = json\n# why\n"
