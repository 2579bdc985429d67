"""``keydoctor fix tidy`` and ``move-keys``, run as a user would (the CLI in a subprocess).

Golden cases live in tests/fixtures/fix/tidy/<case>/: the input ``credentials`` and
``config`` (bytes as written, mode 644 at the start of each run), ``expected-safe/`` (after
``--apply``) and ``expected-all/`` (after ``--apply --unsafe``), compared byte for byte.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "fix" / "tidy"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
FILES = ("credentials", "config")


def run_fix(
    env: dict[str, str], *args: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full = dict(env)
    full.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "keydoctor", "fix", *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


def aws_dir(env: dict[str, str]) -> Path:
    return Path(env["HOME"]) / ".aws"


def install(case: str, env: dict[str, str], mode: int = 0o644) -> dict[str, bytes]:
    """Copy a case's inputs into the test HOME; return their original bytes."""
    originals: dict[str, bytes] = {}
    for name in FILES:
        source = FIXTURES / case / name
        if source.exists():
            target = aws_dir(env) / name
            shutil.copyfile(source, target)
            os.chmod(target, mode)
            originals[name] = source.read_bytes()
    return originals


def snapshot(env: dict[str, str]) -> dict[str, tuple[bytes, int]]:
    """Every file under ~/.aws with its bytes and mode."""
    found: dict[str, tuple[bytes, int]] = {}
    for path in sorted(aws_dir(env).iterdir()):
        found[path.name] = (path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
    return found


def backups(env: dict[str, str], name: str) -> list[Path]:
    return sorted(aws_dir(env).glob(f"{name}.keydoctor-*.bak"))


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("variant", ["safe", "all"])
def test_tidy_golden_bytes(case: str, variant: str, clean_env: dict[str, str]) -> None:
    originals = install(case, clean_env)
    args = ["tidy", "--apply"] + (["--unsafe"] if variant == "all" else [])
    proc = run_fix(clean_env, *args)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    for name, original in originals.items():
        path = aws_dir(clean_env) / name
        expected = (FIXTURES / case / f"expected-{variant}" / name).read_bytes()
        assert path.read_bytes() == expected, f"{case}/{name} ({variant})\n{proc.stdout}"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        saved = backups(clean_env, name)
        if expected != original:
            # The original bytes are recoverable from a 0600 backup beside the file.
            assert any(b.read_bytes() == original for b in saved)
        for backup in saved:
            assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    # Nothing left behind but the files, their backups and the fix lock (no temporary
    # files).
    leftovers = [
        p.name
        for p in aws_dir(clean_env).iterdir()
        if p.name not in originals and ".keydoctor-" not in p.name and p.name != ".keydoctor.lock"
    ]
    assert leftovers == []


@pytest.mark.parametrize("case", CASES)
def test_tidy_is_idempotent(case: str, clean_env: dict[str, str]) -> None:
    install(case, clean_env)
    run_fix(clean_env, "tidy", "--apply", "--unsafe")
    before = {k: v for k, v in snapshot(clean_env).items() if ".keydoctor-" not in k}
    proc = run_fix(clean_env, "tidy", "--apply", "--unsafe")
    after = {k: v for k, v in snapshot(clean_env).items() if ".keydoctor-" not in k}
    assert after == before
    assert "wrote" not in proc.stdout


@pytest.mark.parametrize("case", CASES)
def test_dry_run_changes_no_byte_and_no_mode(case: str, clean_env: dict[str, str]) -> None:
    install(case, clean_env, mode=0o644)
    before = snapshot(clean_env)
    for args in (["tidy"], [], ["move-keys"], ["--format", "json"], ["tidy", "--unsafe"]):
        proc = run_fix(clean_env, *args)
        assert proc.returncode in (0, 1), proc.stderr
        assert snapshot(clean_env) == before, args


def test_dry_run_shows_a_diff_and_says_nothing_changed(clean_env: dict[str, str]) -> None:
    install("messy", clean_env)
    proc = run_fix(clean_env, "tidy")
    assert proc.returncode == 1
    assert "--- " in proc.stdout and "+++ " in proc.stdout
    assert "-[profile work]" in proc.stdout and "+[work]" in proc.stdout
    assert "<BOM>" in proc.stdout and "\\r" in proc.stdout  # invisible changes made visible
    assert "tidy [safe]" in proc.stdout and "tidy-sections [unsafe]" in proc.stdout
    assert "Dry run: nothing was changed" in proc.stdout
    assert "mode 644 -> 600" in proc.stdout


def test_apply_without_unsafe_skips_the_unsafe_plan(clean_env: dict[str, str]) -> None:
    install("messy", clean_env)
    proc = run_fix(clean_env, "tidy", "--apply")
    assert proc.returncode == 1  # something was left for --unsafe
    assert "tidy: applied" in proc.stdout
    assert "tidy-sections: skipped" in proc.stdout


def test_conflicting_duplicates_are_reported_not_guessed(clean_env: dict[str, str]) -> None:
    install("conflict", clean_env, mode=0o600)
    proc = run_fix(clean_env, "tidy")
    assert "will not choose" in proc.stdout


def test_no_secret_in_tidy_output(clean_env: dict[str, str]) -> None:
    install("messy", clean_env)
    secrets = (
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ",
        "q8Rk2T0xZbW4mN6vYp1LcH9sJ3dF5gA7eU2iO0tQ",
    )
    for args in (["tidy"], ["tidy", "--apply", "--unsafe"], ["--format", "json"]):
        proc = run_fix(clean_env, *args)
        for secret in secrets:
            assert secret not in proc.stdout + proc.stderr
        assert "AKIAY34FZKBOKMUTVV7A" not in proc.stdout + proc.stderr


def _tidy_steps_env(clean_env: dict[str, str]) -> dict[str, bytes]:
    return install("messy", clean_env)


@pytest.mark.parametrize("step", [1, 2, 3, 4])
def test_tidy_failure_after_each_step_restores_every_byte_and_mode(
    step: int, clean_env: dict[str, str]
) -> None:
    originals = install("messy", clean_env)
    before = snapshot(clean_env)
    proc = run_fix(
        clean_env,
        "tidy",
        "--apply",
        "--unsafe",
        extra_env={"KEYDOCTOR_FAULT_AFTER_STEP": str(step)},
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "failure injected" in proc.stdout
    after = snapshot(clean_env)
    # The plan that failed is undone; a plan that finished before it stays applied, and
    # its file is then the tidied one, never a half-written one.
    for name in originals:
        data, mode = after[name]
        safe = (FIXTURES / "messy" / "expected-safe" / name).read_bytes()
        if step <= 2:
            assert (data, mode) == before[name]
            assert "tidy-sections: FAILED: not run: tidy failed" in proc.stdout
        else:
            assert data == safe and mode == 0o600
    # Every original is recoverable: in place or in a backup.
    for name, original in originals.items():
        assert after[name][0] == original or any(
            b.read_bytes() == original for b in backups(clean_env, name)
        )


@pytest.mark.parametrize("step", [1, 2, 3, 4])
def test_tidy_killed_after_each_step_keeps_whole_files(
    step: int, clean_env: dict[str, str]
) -> None:
    originals = install("messy", clean_env)
    proc = run_fix(
        clean_env, "tidy", "--apply", "--unsafe", extra_env={"KEYDOCTOR_KILL_AFTER_STEP": str(step)}
    )
    assert proc.returncode == -9
    for name, original in originals.items():
        data = (aws_dir(clean_env) / name).read_bytes()
        allowed = {
            original,
            (FIXTURES / "messy" / "expected-safe" / name).read_bytes(),
            (FIXTURES / "messy" / "expected-all" / name).read_bytes(),
        }
        assert data in allowed  # never half of one and half of another
        assert data == original or any(b.read_bytes() == original for b in backups(clean_env, name))
    temporary = [p for p in aws_dir(clean_env).iterdir() if p.name.endswith(".tmp")]
    assert temporary == []


def test_tidy_refuses_a_file_changed_after_planning(clean_env: dict[str, str]) -> None:
    from keydoctor.fixes import apply_plans, plan_fixes

    install("messy", clean_env)
    plans = plan_fixes(["tidy"], environ=clean_env)
    path = aws_dir(clean_env) / "credentials"
    path.write_bytes(path.read_bytes() + b"# edited meanwhile\n")
    edited = path.read_bytes()
    outcomes = apply_plans(plans, allow_unsafe=True)
    assert not outcomes[0].applied
    assert "changed after the fix was planned" in (outcomes[0].error or "")
    assert path.read_bytes() == edited


def test_symlinked_credentials_file_keeps_its_link(clean_env: dict[str, str]) -> None:
    install("messy", clean_env)
    aws = aws_dir(clean_env)
    (aws / "credentials").rename(aws / "real-credentials")
    (aws / "credentials").symlink_to(aws / "real-credentials")
    proc = run_fix(clean_env, "tidy", "--apply")
    assert "tidy: applied" in proc.stdout, proc.stdout + proc.stderr
    assert (aws / "credentials").is_symlink()
    expected = (FIXTURES / "messy" / "expected-safe" / "credentials").read_bytes()
    assert (aws / "real-credentials").read_bytes() == expected


# -- move-keys -------------------------------------------------------------------------

CONFIG_WITH_KEYS = (
    "# shared with the team\n"
    "[default]\n"
    "region = eu-west-1\n"
    "aws_access_key_id = AKIAY34FZKBOKMUTVV7A\n"
    "aws_secret_access_key = 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\n"
    "output = json\n"
    "\n"
    "[profile ci]\n"
    "aws_access_key_id = AKIAY34FZKBOKMUTVV7B\n"
    "aws_secret_access_key = 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\n"
)


def test_move_keys_moves_keys_and_keeps_the_rest(clean_env: dict[str, str]) -> None:
    aws = aws_dir(clean_env)
    (aws / "config").write_text(CONFIG_WITH_KEYS)
    (aws / "credentials").write_text("# mine\n[ci]\nregion_note = keep\n")
    proc = run_fix(clean_env, "move-keys", "--apply")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (aws / "config").read_text() == (
        "# shared with the team\n[default]\nregion = eu-west-1\noutput = json\n\n[profile ci]\n"
    )
    assert (aws / "credentials").read_text() == (
        "# mine\n"
        "[ci]\n"
        "region_note = keep\n"
        "aws_access_key_id = AKIAY34FZKBOKMUTVV7B\n"
        "aws_secret_access_key = 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\n"
        "\n"
        "[default]\n"
        "aws_access_key_id = AKIAY34FZKBOKMUTVV7A\n"
        "aws_secret_access_key = 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\n"
    )
    assert stat.S_IMODE((aws / "credentials").stat().st_mode) == 0o600
    # The SDK sees the same keys for both profiles as before.
    from keydoctor.sources.chain import gather, resolve

    for profile, key in (("default", "AKIAY34FZKBOKMUTVV7A"), ("ci", "AKIAY34FZKBOKMUTVV7B")):
        winner = resolve(gather(clean_env, profile)).winner
        assert winner is not None and winner.access_key_id == key
        assert winner.method == "shared-credentials-file"


def test_move_keys_leaves_conflicting_keys_to_the_user(clean_env: dict[str, str]) -> None:
    aws = aws_dir(clean_env)
    (aws / "config").write_text(CONFIG_WITH_KEYS)
    creds = "[ci]\naws_access_key_id = AKIAY34FZKBOKMUTVV7C\naws_secret_access_key = x\n"
    (aws / "credentials").write_text(creds)
    proc = run_fix(clean_env, "move-keys", "--apply")
    assert "already holds other keys" in proc.stdout
    assert "AKIAY34FZKBOKMUTVV7B" not in (aws / "credentials").read_text()
    assert "AKIAY34FZKBOKMUTVV7B" in (aws / "config").read_text()


@pytest.mark.parametrize("layout", ["one section", "two sections"])
def test_move_keys_reports_a_duplicate_key_pair_and_loses_neither(
    layout: str, clean_env: dict[str, str]
) -> None:
    aws = aws_dir(clean_env)
    first = (
        "aws_access_key_id = AKIAY34FZKBOKMUTVV7A\naws_secret_access_key = firstSECRETfirstSECRET\n"
    )
    second = (
        "aws_access_key_id = AKIAY34FZKBOKMUTVV7B\naws_secret_access_key = secondSECRETsecond\n"
    )
    header = "[profile ops]\n"
    config = header + first + (header if layout == "two sections" else "") + second
    config += "[profile ci]\naws_access_key_id = AKIAY34FZKBOKMUTVV7C\naws_secret_access_key = y\n"
    (aws / "config").write_text(config)
    proc = run_fix(clean_env, "move-keys", "--apply")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The duplicate is named, with its lines, and neither pair leaves the config file ...
    assert "profile ops:" in proc.stdout and "more than once with different values" in proc.stdout
    lines = "4" if layout == "one section" else "5"
    assert f"(lines 2, {lines})" in proc.stdout
    text = (aws / "config").read_text()
    assert "firstSECRETfirstSECRET" in text and "secondSECRETsecond" in text
    assert "firstSECRET" not in (aws / "credentials").read_text()
    # ... while the other profile's keys move as before.
    assert "AKIAY34FZKBOKMUTVV7C" in (aws / "credentials").read_text()
    assert "AKIAY34FZKBOKMUTVV7C" not in text
    assert "firstSECRET" not in proc.stdout and "secondSECRET" not in proc.stdout


def test_move_keys_moves_a_pair_written_twice_the_same_once(clean_env: dict[str, str]) -> None:
    aws = aws_dir(clean_env)
    pair = "aws_access_key_id = AKIAY34FZKBOKMUTVV7A\naws_secret_access_key = sameSECRETsame\n"
    (aws / "config").write_text("[default]\n" + pair + "[default]\n" + pair)
    proc = run_fix(clean_env, "move-keys", "--apply")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (aws / "config").read_text() == "[default]\n[default]\n"
    assert (aws / "credentials").read_text() == "[default]\n" + pair


def test_no_name_runs_what_the_findings_call_for(clean_env: dict[str, str]) -> None:
    aws = aws_dir(clean_env)
    (aws / "config").write_text(CONFIG_WITH_KEYS)
    os.chmod(aws / "config", 0o644)
    proc = run_fix(clean_env)
    assert "== tidy [safe]" in proc.stdout  # KD304: the mode
    assert "== move-keys [safe]" in proc.stdout  # KD205: keys in the config file
    assert "rotate-key" not in proc.stdout  # never chosen for the user


def test_clean_files_need_nothing(clean_env: dict[str, str]) -> None:
    install("clean", clean_env, mode=0o600)
    proc = run_fix(clean_env)
    assert proc.returncode == 0, proc.stdout
    assert "nothing to fix" in proc.stdout


def test_json_output_is_one_document_without_secrets(clean_env: dict[str, str]) -> None:
    import json

    install("messy", clean_env)
    proc = run_fix(clean_env, "tidy", "--format", "json")
    document = json.loads(proc.stdout)
    assert document["dry_run"] is True and document["outcomes"] is None
    names = [plan["name"] for plan in document["plans"]]
    assert names == ["tidy", "tidy-sections"]
    assert [plan["safety"] for plan in document["plans"]] == ["safe", "unsafe"]
    assert document["plans"][0]["diffs"][0]["diff"].startswith("--- ")
    assert "q8Rk2T0xZbW4mN6vYp1LcH9sJ3dF5gA7eU2iO0tQ" not in proc.stdout
    proc = run_fix(clean_env, "tidy", "--format", "json", "--apply")
    document = json.loads(proc.stdout)
    assert [(o["name"], o["applied"], o["skipped"]) for o in document["outcomes"]] == [
        ("tidy", True, False),
        ("tidy-sections", False, True),
    ]
    assert all(path.endswith(".bak") for path in document["outcomes"][0]["backups"])


@pytest.mark.parametrize(
    "content",
    [
        "[default]\nregion = caf\xe9 \r\n".encode("latin-1"),  # not UTF-8
        b"[default]\x00\x01\x02",  # binary
    ],
)
def test_unreadable_files_are_left_alone(content: bytes, clean_env: dict[str, str]) -> None:
    path = aws_dir(clean_env) / "credentials"
    path.write_bytes(content)
    os.chmod(path, 0o600)
    proc = run_fix(clean_env, "tidy", "--apply", "--unsafe")
    assert "Traceback" not in proc.stderr and proc.returncode in (0, 1)
    assert "tidy left it alone" in proc.stdout
    assert path.read_bytes() == content


def test_a_directory_in_place_of_the_file_is_one_line(clean_env: dict[str, str]) -> None:
    (aws_dir(clean_env) / "credentials").mkdir()
    proc = run_fix(clean_env, "tidy")
    assert "Traceback" not in proc.stderr
    assert "is a directory" in proc.stdout


def test_planning_a_tidy_never_imports_boto3_or_a_botocore_session(
    clean_env: dict[str, str],
) -> None:
    install("messy", clean_env)
    code = (
        "import sys\n"
        "from keydoctor.cli import main\n"
        "main(['fix', 'tidy'])\n"
        "print('LOADED', [m for m in ('boto3', 'botocore.session', 'botocore.client')"
        " if m in sys.modules])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=clean_env, capture_output=True, text=True, timeout=60
    )
    assert "LOADED []" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("before", "after"), [(0o644, 0o600), (0o660, 0o600), (0o400, 0o400), (0o600, 0o600)]
)
def test_modes(before: int, after: int, clean_env: dict[str, str]) -> None:
    install("messy", clean_env, mode=before)
    run_fix(clean_env, "tidy", "--apply")
    for name in FILES:
        assert stat.S_IMODE((aws_dir(clean_env) / name).stat().st_mode) == after


def test_fixes_of_one_run_build_on_each_other(clean_env: dict[str, str]) -> None:
    """tidy rewrites the config file, then move-keys removes the keys from *that* text."""
    aws = aws_dir(clean_env)
    (aws / "config").write_bytes(CONFIG_WITH_KEYS.replace("\n", "\r\n").encode())
    os.chmod(aws / "config", 0o644)
    proc = run_fix(clean_env, "--apply")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "tidy: applied" in proc.stdout and "move-keys: applied" in proc.stdout
    assert (aws / "config").read_bytes() == (
        b"# shared with the team\n[default]\nregion = eu-west-1\noutput = json\n\n[profile ci]\n"
    )
    assert b"AKIAY34FZKBOKMUTVV7B" in (aws / "credentials").read_bytes()
    # The original, CRLF and all, is in a backup.
    assert any(
        b.read_bytes() == CONFIG_WITH_KEYS.replace("\n", "\r\n").encode()
        for b in backups(clean_env, "config")
    )


@pytest.mark.parametrize("step", [1, 2])
def test_move_keys_killed_after_each_step_never_loses_a_key(
    step: int, clean_env: dict[str, str]
) -> None:
    from keydoctor.sources.chain import gather, resolve

    aws = aws_dir(clean_env)
    (aws / "config").write_text(CONFIG_WITH_KEYS)
    proc = run_fix(
        clean_env, "move-keys", "--apply", extra_env={"KEYDOCTOR_KILL_AFTER_STEP": str(step)}
    )
    assert proc.returncode == -9
    # The credentials file is written first, so both profiles still yield their keys.
    for profile, key in (("default", "AKIAY34FZKBOKMUTVV7A"), ("ci", "AKIAY34FZKBOKMUTVV7B")):
        winner = resolve(gather(clean_env, profile)).winner
        assert winner is not None and winner.access_key_id == key
    assert (aws / "config").read_text() == CONFIG_WITH_KEYS or any(
        b.read_text() == CONFIG_WITH_KEYS for b in backups(clean_env, "config")
    )


def test_move_keys_creates_the_credentials_file_private(clean_env: dict[str, str]) -> None:
    folder = Path(clean_env["HOME"]) / "elsewhere" / "aws"
    env = dict(
        clean_env,
        AWS_CONFIG_FILE=str(aws_dir(clean_env) / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(folder / "credentials"),
    )
    (aws_dir(clean_env) / "config").write_text(CONFIG_WITH_KEYS)
    proc = run_fix(env, "move-keys", "--apply")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert stat.S_IMODE((folder / "credentials").stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert "AKIAY34FZKBOKMUTVV7B" in (folder / "credentials").read_text()


def test_preview_masks_values_before_marking_invisible_characters(
    clean_env: dict[str, str],
) -> None:
    """A secret with a zero-width space is what users run tidy for: the diff says where
    the odd character is without showing the secret, and keeps the file's own spacing."""
    secret = "q8Rk2T0xZbW4mN6vYp1LcH9sJ3dF5gA7eU2iO0tQ"
    damaged = secret[:11] + "\u200b" + secret[11:]
    path = aws_dir(clean_env) / "credentials"
    path.write_text(
        "[default]\naws_access_key_id = AKIAY34FZKBOKMUTVV7A\n"
        f"aws_secret_access_key = {damaged}\n# old: {secret.lower()}\n",
        encoding="utf-8",
    )
    os.chmod(path, 0o600)
    proc = run_fix(clean_env, "tidy")
    assert proc.returncode == 1, proc.stderr
    assert "-aws_secret_access_key = <secret redacted> (holds <ZWSP>)" in proc.stdout
    assert "+aws_secret_access_key = <secret redacted>\n" in proc.stdout
    assert " aws_access_key_id = AKIA…VV7A" in proc.stdout  # a context line, masked id
    assert " # old: <value redacted>" in proc.stdout  # a lower-cased old secret
    for piece in (secret[i : i + 8] for i in range(0, 33)):
        assert piece not in proc.stdout and piece.lower() not in proc.stdout
