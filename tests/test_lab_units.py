"""The lab's small pieces: the typo maker, the judge of the top cause, the flag filter."""

from __future__ import annotations

import re

from keydoctor.lab.runner import (
    JUDGED_DIAGNOSIS,
    JUDGED_OFFLINE,
    check_flags,
    supported_args,
    top_cause,
)
from keydoctor.lab.scenarios import SCENARIOS, mistype
from keydoctor.model import Category

KEY_ID = re.compile(r"^AKIA[A-Z2-7]{16}$")


def test_mistype_changes_one_character_and_keeps_the_shape() -> None:
    for original in ("AKIAIOSFODNN7EXAMPLE", "AKIAZZZZZZZZZZZZZQZZ", "AKIA2345672345674567"):
        typo = mistype(original)
        assert KEY_ID.match(typo) or not KEY_ID.match(original)
        assert len(typo) == len(original)
        assert sum(a != b for a, b in zip(original, typo, strict=True)) == 1


def test_top_cause_prefers_the_live_diagnosis() -> None:
    document = {
        "diagnosis": {"category": "secret-wrong", "title": "t"},
        "findings": [{"severity": "critical", "category": "wrong-source"}],
    }
    assert top_cause(document)[:2] == (JUDGED_DIAGNOSIS, "secret-wrong")
    assert top_cause({"diagnosis": None, "findings": []})[:2] == (JUDGED_DIAGNOSIS, None)


def test_top_cause_without_diagnosis_uses_the_worst_failing_finding() -> None:
    document = {
        "findings": [
            {"severity": "high", "category": "session-token"},
            {"severity": "high", "category": "wrong-source"},
        ]
    }
    assert top_cause(document)[:2] == (JUDGED_OFFLINE, "session-token")
    only_risks = {"findings": [{"severity": "medium", "category": "hygiene"}]}
    assert top_cause(only_risks)[:2] == (JUDGED_OFFLINE, None)


def test_supported_args_keeps_known_flags_with_their_values() -> None:
    args = ["--bucket", "b", "--key", "k", "--region", "eu-west-1"]
    kept, dropped = supported_args(args, frozenset({"--region", "--key"}))
    assert kept == ["--key", "k", "--region", "eu-west-1"]
    assert dropped == ["--bucket"]
    assert "--endpoint-url" in check_flags()


def test_every_scenario_expects_a_category_from_the_vocabulary() -> None:
    names = [s.name for s in SCENARIOS]
    assert len(names) == len(set(names))
    for scenario in SCENARIOS:
        assert scenario.expected is None or isinstance(scenario.expected, Category)
        assert re.fullmatch(r"[a-z0-9-]+", scenario.name)
        assert len(f"lab-{scenario.name}") <= 63  # bucket names are the scenario's name


# -- the fix-it step's pieces and the registry -------------------------------------------
def test_finding_codes_come_from_findings_and_the_diagnosis_evidence() -> None:
    from keydoctor.lab.fixit import called_for, finding_codes

    document = {
        "findings": [{"code": "KD102"}, {"code": "KD102"}, {"code": "KD601"}],
        "diagnosis": {"evidence": ["KD702: The bucket lives elsewhere", "AWS answered X"]},
    }
    assert finding_codes(document) == ["KD102", "KD601", "KD702"]
    assert called_for(document) == ["tidy", "set-region"]
    assert called_for({"findings": [{"code": "KD601"}], "diagnosis": None}) == []


def test_manual_commands_put_the_diagnosis_first_and_repeat_nothing() -> None:
    from keydoctor.lab.fixit import manual_commands

    cause = {"fix": "export AWS_PROFILE=analytics"}
    document = {
        "findings": [
            {"severity": "high", "fix": "export AWS_PROFILE=analytics"},
            {"severity": "medium", "fix": "rotate the key"},
            {"severity": "critical", "fix": "aws configure"},
        ]
    }
    assert manual_commands(cause, document) == ["export AWS_PROFILE=analytics", "aws configure"]
    assert manual_commands(None, None) == []


def test_registry_holds_every_scenario_once_with_redshift_prefixed() -> None:
    from keydoctor.fixes import FIX_NAMES
    from keydoctor.lab.redshift_scenarios import SCENARIOS as REDSHIFT
    from keydoctor.lab.registry import ALL, by_name

    names = [entry.name for entry in ALL]
    assert len(names) == len(set(names))
    redshift = [n for n in names if n.startswith("redshift-")]
    assert len(redshift) == len(REDSHIFT)
    assert by_name("redshift-no-get") is not None and by_name("nope") is None
    for entry in ALL:
        assert entry.fix is None or entry.fix.name in FIX_NAMES
        assert entry.expected is None or isinstance(entry.expected, Category)


def test_fix_step_verdict_follows_the_scenario() -> None:
    from keydoctor.lab import fixit
    from keydoctor.lab.runner import Outcome
    from keydoctor.lab.scenarios import by_name

    fixable = by_name("secret-quoted")
    manual = by_name("rotated-key")
    assert fixable is not None and manual is not None
    outcome = Outcome(
        scenario=fixable,
        prepared=None,
        judged=JUDGED_DIAGNOSIS,
        got="secret-wrong",
        cause={"fix": "aws configure set aws_secret_access_key <value>"},
        check_exit=1,
    )
    assert outcome.fix_ok and outcome.passed  # the step was not asked for
    outcome.fix = fixit.FixResult(status=fixit.NOT_FIXED, fixes=["tidy"])
    assert not outcome.fix_ok and not outcome.passed
    diff = '-aws_secret_access_key = "x"\n+aws_secret_access_key = x\n'
    outcome.fix = fixit.FixResult(
        status=fixit.FIXED, fixes=["tidy"], plans=[{"diffs": [{"diff": diff}]}]
    )
    assert outcome.passed
    outcome.fix = fixit.FixResult(status=fixit.FIXED, fixes=["tidy"])
    assert not outcome.passed  # fixed, but not by the stated edit
    outcome.fix = fixit.FixResult(status=fixit.MANUAL, manual=["aws configure"])
    assert not outcome.fix_ok  # a fixable scenario must be fixed, not left to a person
    other = Outcome(scenario=manual, prepared=None, judged=JUDGED_DIAGNOSIS, got="key-id-wrong")
    other.fix = fixit.FixResult(status=fixit.MANUAL, manual=[])
    assert not other.fix_ok  # manual without a command shows nothing to do
    other.fix = fixit.FixResult(status=fixit.MANUAL, manual=["aws iam create-access-key"])
    assert other.fix_ok


def test_only_a_bare_export_command_is_carried_out() -> None:
    from keydoctor.lab.fixit import exports_of

    assert exports_of("export NO_PROXY=localhost,127.0.0.1") == {"NO_PROXY": "localhost,127.0.0.1"}
    assert exports_of("export A=1 B='two words'") == {"A": "1", "B": "two words"}
    for fix in ("Check HTTPS_PROXY and NO_PROXY", "export", "export NO_PROXY", "unset X=1"):
        assert exports_of(fix) is None, fix
