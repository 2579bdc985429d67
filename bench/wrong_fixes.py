"""Replace each fix keydoctor can print with a wrong command, and show the tests notice.

Two kinds of fix text exist: the catalog's (``fix = "..."`` of every cause in
``catalog/*.toml``, printed by ``explain``, the hook and ``check``'s diagnosis) and the
rules' (the ``fix`` of every finding, made by ``Rule.finding()``, the one way a finding is
made). For each one, this script copies the package to a temporary folder, replaces that
one fix with a wrong command there, puts the copy first on ``PYTHONPATH`` and runs the
tests that state what that fix must say (subprocesses of ``keydoctor`` run the copy too):

* a catalog cause: ``tests/test_catalog_fix_facts.py``;
* an offline rule: its golden case in ``tests/test_golden_findings.py``;
* a probe rule: its online golden case in ``tests/test_probes_golden.py``;
* a Redshift rule: ``tests/test_redshift_golden.py`` (parsing and offline rules),
  ``tests/test_redshift_bad_input.py`` (KD816), ``tests/test_redshift_replay.py`` and
  ``tests/test_redshift_moto.py`` (the probes' rules, on recorded answers and on moto).

A replacement is *caught* when that selection fails. The script prints one line per
replacement and the count; it exits 1 when one was not caught. The lab's own judgement of a
wrong fix (the lab run on such a copy reports FAIL) is proven by
``tests/test_lab_judgement.py``; it covers only the causes its scenarios rank first.

    python bench/wrong_fixes.py                 # every replacement, two at a time
    python bench/wrong_fixes.py --only KD101 key-id-unknown
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "keydoctor"
TESTS = ROOT / "tests"
# Wrong for every cause and rule keydoctor has: it changes nothing about credentials.
WRONG = "aws configure set output table"


@dataclass(frozen=True)
class Replacement:
    """One fix replaced in a copy: ``(file, old, new)`` made once, then ``tests`` run."""

    name: str  # a cause id or a rule code
    kind: str  # "catalog" or "rule"
    relative: str
    old: str
    new: str
    tests: tuple[str, ...]


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def catalog_replacements() -> Iterator[Replacement]:
    """The ``fix = "..."`` line of each cause: ``[cause.ID]`` tables and inline causes."""
    for path in sorted((PACKAGE / "catalog").glob("*.toml")):
        lines = path.read_text(encoding="utf-8").split("\n")
        current: str | None = None
        for line in lines:
            header = re.fullmatch(r"\[cause\.([a-z0-9-]+)\]", line.strip())
            if header:
                current = header.group(1)
            elif line.startswith("[") and not header:
                current = None
            inline = re.fullmatch(r'id = "([a-z0-9-]+)"', line.strip())
            if inline:
                current = inline.group(1)
            if line.startswith("fix = ") and current is not None:
                yield Replacement(
                    current,
                    "catalog",
                    f"catalog/{path.name}",
                    line + "\n",
                    f"fix = {_toml_string(WRONG)}\n",
                    ("tests/test_catalog_fix_facts.py",),
                )
                current = None


_FINDING_FIX = "            fix=fix,\n"


def rule_replacements() -> Iterator[Replacement]:
    """Every rule's findings made with the wrong fix, at ``Rule.finding()``."""
    sys.path.insert(0, str(PACKAGE.parent))
    from keydoctor.checks import all_rules
    from keydoctor.probes.rules import RULES as PROBE_RULES
    from keydoctor.redshift.rules import RULES as REDSHIFT_RULES

    codes = sorted(set(all_rules()) | {r.code for r in PROBE_RULES + REDSHIFT_RULES})
    fixtures = TESTS / "fixtures"
    for code in codes:
        if (fixtures / code / "case.toml").exists():
            tests: tuple[str, ...] = ("tests/test_golden_findings.py", "-k", code)
        elif (fixtures / code / "online.toml").exists():
            tests = ("tests/test_probes_golden.py", "-k", f"test_online_golden_case and {code}")
        elif code == "KD816":
            tests = ("tests/test_redshift_bad_input.py",)
        elif code.startswith("KD8") and code < "KD820":
            tests = ("tests/test_redshift_golden.py", "-k", "test_golden")
        elif code.startswith("KD8"):
            tests = ("tests/test_redshift_replay.py", "tests/test_redshift_moto.py")
        else:
            tests = ()
        new = f"            fix={WRONG!r} if self.code == {code!r} else fix,\n"
        yield Replacement(code, "rule", "checks/base.py", _FINDING_FIX, new, tests)


def _copy(replacement: Replacement, root: Path) -> Path:
    shutil.copytree(PACKAGE, root / "keydoctor", ignore=shutil.ignore_patterns("__pycache__"))
    path = root / "keydoctor" / replacement.relative
    text = path.read_text(encoding="utf-8")
    if text.count(replacement.old) != 1:
        raise SystemExit(f"{replacement.relative}: not once: {replacement.old!r}")
    path.write_text(text.replace(replacement.old, replacement.new, 1), encoding="utf-8")
    return root


def _environment(copy: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "KEYDOCTOR_"))}
    env["PYTHONPATH"] = str(copy)
    return env


def run_tests(replacement: Replacement) -> tuple[bool, str]:
    """(caught, the failing test's first line) for one replacement."""
    if not replacement.tests:
        return False, "no test states this fix"
    with tempfile.TemporaryDirectory(prefix="kd-wrong-fix-") as folder:
        copy = _copy(replacement, Path(folder))
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-x",
                "-p",
                "no:cacheprovider",
                *replacement.tests,
            ],
            cwd=ROOT,
            env=_environment(copy),
            capture_output=True,
            text=True,
            timeout=900,
        )
    if proc.returncode == 5:
        return False, "no test selected"
    failed = [line for line in proc.stdout.splitlines() if line.startswith("FAILED")]
    return proc.returncode != 0, (failed[0][:110] if failed else proc.stdout.strip()[-110:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", help="cause ids or rule codes")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    replacements = [*catalog_replacements(), *rule_replacements()]
    if args.only:
        replacements = [r for r in replacements if r.name in set(args.only)]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(run_tests, replacements))
    missed = []
    for replacement, (caught, detail) in zip(replacements, results, strict=True):
        mark = "caught " if caught else "MISSED "
        print(f"{mark} {replacement.kind:7} {replacement.name:30} {detail}")
        if not caught:
            missed.append(replacement.name)
    by_kind: dict[str, list[bool]] = {}
    for replacement, (caught, _) in zip(replacements, results, strict=True):
        by_kind.setdefault(replacement.kind, []).append(caught)
    for kind, caught_list in sorted(by_kind.items()):
        print(f"{kind}: {sum(caught_list)} of {len(caught_list)} wrong fixes caught by the tests")
    print(
        f"{len(replacements) - len(missed)} of {len(replacements)} caught "
        f"({time.monotonic() - started:.0f} s); missed: {missed}"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
