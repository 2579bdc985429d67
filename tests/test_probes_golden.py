"""One golden case per live-probe finding code (KD6xx, KD7xx, KD9xx).

Each ``tests/fixtures/<CODE>/online.toml`` holds recorded AWS answers (status, headers,
XML body, and a Date offset for clock cases), replayed from 127.0.0.1, with the ``args``
and ``env`` of the run; ``recorded`` says which AWS behaviour the answers reproduce.
``expected.json`` holds the probe findings and the diagnosis of ``keydoctor check``.

The snapshot is the second layer. The first is what ``online.toml`` states a person
expects, written from the case and not from the output: the exit code, each probe
finding's code, severity, category and the essential words of its fix, and the category
and fix words of the top cause (or ``"none"``). The run is held to those facts, and so is
the stored snapshot; KEYDOCTOR_UPDATE_GOLDEN=1 rewrites a snapshot only from a run that
meets them, so regenerating can never make a wrong answer pass. Review the diff.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from keydoctor.probes.rules import RULES
from replay_server import Answer, replaying

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(p for p in FIXTURES.iterdir() if (p / "online.toml").exists())
KEY_ID = "AKIAY34FZKBOQ7RT5XW2"
SECRET = "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"
PROBE_FAMILIES = ("KD6", "KD7", "KD9")


def _answer(spec: dict[str, Any]) -> Answer:
    return Answer(
        status=int(spec["status"]),
        body=str(spec.get("body", "")),
        headers=dict(spec.get("headers", {})),
        delay=float(spec.get("delay", 0.0)),
        date_offset=float(spec.get("date_offset", 0.0)),
    )


def _dead_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def _run(case: Path, clean_env: dict[str, str]) -> tuple[dict[str, Any], str, int]:
    spec = tomllib.loads((case / "online.toml").read_text(encoding="utf-8"))
    home = Path(clean_env["HOME"])
    for name in ("config", "credentials"):
        if name in spec:
            (home / ".aws" / name).write_text(spec[name], encoding="utf-8")
    env = dict(
        clean_env,
        AWS_ACCESS_KEY_ID=KEY_ID,
        AWS_SECRET_ACCESS_KEY=SECRET,
        AWS_DEFAULT_REGION="us-east-1",
    )
    for name, content in spec.get("files", {}).items():
        # Files a provider reads (a web identity token, an SSO token ...), under HOME.
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_text(content, encoding="utf-8")
    answers = {op: _answer(a) for op, a in spec.get("answers", {}).items()}
    default = _answer(spec["default"]) if "default" in spec else None
    dead = _dead_endpoint()
    with replaying(answers, default) as server:
        # In env values: $ENDPOINT is the replay server (which also stands in for a
        # metadata service), $DEAD a loopback port nothing listens on, $HOME the home.
        env.update(
            {
                k: str(v)
                .replace("$ENDPOINT", server.endpoint)
                .replace("$DEAD", dead)
                .replace("$HOME", str(home))
                for k, v in spec.get("env", {}).items()
            }
        )
        env = {k: v for k, v in env.items() if v != ""}
        endpoint = dead if spec.get("endpoint") == "dead" else server.endpoint
        # botocore's own clients (AssumeRole for a role profile) must reach the replay too.
        env["AWS_ENDPOINT_URL"] = endpoint
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "keydoctor",
                "check",
                "--format",
                "json",
                "--endpoint-url",
                endpoint,
                *spec.get("args", []),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert "Traceback" not in proc.stderr, proc.stderr
    for secret in (SECRET, env.get("AWS_SESSION_TOKEN", "-" * 30)):
        assert secret not in proc.stdout and secret not in proc.stderr
    text = proc.stdout.replace(endpoint, "$ENDPOINT").replace(str(home), "$HOME")
    text = text.replace(dead, "$DEAD")
    text = re.sub(r"keydoctor-\d{10}", "keydoctor-SESSION", text)
    text = re.sub(r"created \d+ days ago", "created N days ago", text)
    text = re.sub(r"by [+-]\d+ s", "by N s", text)
    text = re.sub(r"keydoctor-write-test-[0-9a-f]{32}", "keydoctor-write-test-ID", text)
    doc = json.loads(text)
    findings = [f for f in doc["findings"] if f["code"].startswith(PROBE_FAMILIES)]
    diagnosis = doc["diagnosis"]
    if diagnosis is not None:
        diagnosis = {k: diagnosis[k] for k in ("category", "title", "explanation", "fix")}
    return {"findings": findings, "diagnosis": diagnosis}, text, proc.returncode


FAILING = ("high", "critical")


def _spec(case: Path) -> dict[str, Any]:
    return tomllib.loads((case / "online.toml").read_text(encoding="utf-8"))


def fact_problems(spec: dict[str, Any], actual: dict[str, Any], code: int) -> list[str]:
    """Where a run (or a snapshot) departs from the facts its case states (empty: none)."""
    problems: list[str] = []
    findings: list[dict[str, Any]] = actual["findings"]
    if code != spec["exit_code"]:
        problems.append(f"exit code {code}, stated {spec['exit_code']}")
    for stated in spec["expect"]:
        same_code = [f for f in findings if f["code"] == stated["code"]]
        if not same_code:
            problems.append(f"{stated['code']} is missing")
            continue
        if not any(
            f["severity"] == stated["severity"]
            and f["category"] == stated["category"]
            and all(part in f["fix"] for part in stated["fix_says"])
            for f in same_code
        ):
            shown = [(f["severity"], f["category"], f["fix"]) for f in same_code]
            problems.append(f"{stated['code']}: stated {stated}, got {shown}")
    unstated = {f["code"] for f in findings} - {e["code"] for e in spec["expect"]}
    if unstated:
        problems.append(f"findings the case does not state: {sorted(unstated)}")
    diagnosis = actual["diagnosis"]
    stated_diagnosis = spec["diagnosis"]
    if stated_diagnosis == "none":
        if diagnosis is not None:
            problems.append(f"a diagnosis where none is stated: {diagnosis['category']}")
    elif diagnosis is None:
        problems.append(f"no diagnosis, stated {stated_diagnosis['category']}")
    elif diagnosis["category"] != stated_diagnosis["category"] or not all(
        part in diagnosis["fix"] for part in stated_diagnosis["fix_says"]
    ):
        problems.append(
            f"diagnosis {diagnosis['category']}: {diagnosis['fix']!r}, stated {stated_diagnosis}"
        )
    return problems


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_online_golden_case(case: Path, clean_env: dict[str, str]) -> None:
    actual, _, code = _run(case, clean_env)
    codes = [f["code"] for f in actual["findings"]]
    assert case.name in codes, f"{case.name} does not produce its own code: {codes}"
    problems = fact_problems(_spec(case), actual, code)
    assert problems == [], "not rewritten, the stated facts fail:\n" + "\n".join(problems)
    expected_path = case / "expected.json"
    if os.environ.get("KEYDOCTOR_UPDATE_GOLDEN"):
        expected_path.write_text(
            json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    assert actual == json.loads(expected_path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_stored_snapshot_meets_the_stated_facts(case: Path) -> None:
    """A snapshot rewritten from wrong output cannot pass: it is held to the facts too.

    The exit code of a stored snapshot is the one ``--fail-on high`` (the default every
    case uses) gives its probe findings; the cases' offline audits are clean."""
    spec = _spec(case)
    assert "--fail-on" not in spec.get("args", [])
    snapshot = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    code = 1 if any(f["severity"] in FAILING for f in snapshot["findings"]) else 0
    problems = fact_problems(spec, snapshot, code)
    assert problems == [], "\n".join(problems)


def test_every_online_case_states_its_facts() -> None:
    for case in CASES:
        spec = _spec(case)
        assert spec.get("exit_code") in (0, 1), f"{case.name}: exit_code not stated"
        stated = spec.get("expect") or []
        assert case.name in [e["code"] for e in stated], f"{case.name}: its own code unstated"
        for entry in stated:
            assert set(entry) == {"code", "severity", "category", "fix_says"}, case.name
            assert entry["fix_says"] and all(entry["fix_says"]), case.name
        diagnosis = spec.get("diagnosis")
        assert diagnosis == "none" or (
            set(diagnosis) == {"category", "fix_says"} and diagnosis["fix_says"]
        ), f"{case.name}: the top cause is not stated"


def test_online_fact_check_catches_a_wrong_fix_severity_diagnosis_and_exit() -> None:
    """The checker itself fails on each kind of departure (so a pass means something)."""
    spec = {
        "exit_code": 1,
        "diagnosis": {"category": "permission-missing", "fix_says": ['"Effect": "Allow"']},
        "expect": [
            {
                "code": "KD704",
                "severity": "high",
                "category": "permission-missing",
                "fix_says": ['"Effect": "Allow"'],
            }
        ],
    }
    finding = {
        "code": "KD704",
        "severity": "high",
        "category": "permission-missing",
        "fix": 'add {"Effect": "Allow"}',
    }
    diagnosis = {"category": "permission-missing", "fix": 'add {"Effect": "Allow"}'}
    right = {"findings": [finding], "diagnosis": diagnosis}
    assert fact_problems(spec, right, 1) == []
    assert fact_problems(spec, right, 0)
    deny = 'add {"Effect": "Deny"}'
    assert fact_problems(spec, {"findings": [dict(finding, fix=deny)], "diagnosis": diagnosis}, 1)
    assert fact_problems(spec, {"findings": [finding], "diagnosis": dict(diagnosis, fix=deny)}, 1)
    assert fact_problems(spec, {"findings": [finding], "diagnosis": None}, 1)
    assert fact_problems(dict(spec, diagnosis="none"), right, 1)
    lower = dict(finding, severity="medium")
    assert fact_problems(spec, {"findings": [lower], "diagnosis": diagnosis}, 1)
    extra = dict(finding, code="KD701", severity="low")
    assert fact_problems(spec, {"findings": [finding, extra], "diagnosis": diagnosis}, 1)


def test_every_probe_rule_has_a_golden_case() -> None:
    have = {c.name for c in CASES}
    assert {r.code for r in RULES} - have == set()


def test_probe_rule_codes_are_unique_and_in_their_families() -> None:
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes))
    assert all(c.startswith(PROBE_FAMILIES) for c in codes)
    from keydoctor.checks import all_rules

    assert not set(codes) & set(all_rules())


def test_online_output_matches_the_schema(clean_env: dict[str, str]) -> None:
    import jsonschema

    schema = json.loads(
        (Path(__file__).resolve().parents[1] / "docs" / "schema.json").read_text(encoding="utf-8")
    )
    for name in ("KD704", "KD610", "KD901"):
        _, text, _ = _run(FIXTURES / name, clean_env)
        jsonschema.validate(json.loads(text), schema)


def test_probe_rules_page_is_in_sync() -> None:
    from keydoctor.probes.docs import render_probe_rules_page

    page = (Path(__file__).resolve().parents[1] / "docs" / "probe-rules.md").read_text(
        encoding="utf-8"
    )
    assert page == render_probe_rules_page(), (
        "run: python -m keydoctor.probes.docs > docs/probe-rules.md"
    )
