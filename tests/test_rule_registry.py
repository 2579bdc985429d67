"""Every finding code in the project, offline, online and Redshift, is declared once."""

from __future__ import annotations

from keydoctor import registry
from keydoctor.checks import all_rules
from keydoctor.checks.base import Rule
from keydoctor.model import Category, Severity
from keydoctor.probes import rules as probe_rules
from keydoctor.redshift import rules as redshift_rules


def every_rule() -> list[Rule]:
    return [*all_rules().values(), *probe_rules.RULES, *redshift_rules.RULES]


def test_the_registry_holds_every_family() -> None:
    assert list(registry.every_rule().values()) == sorted(every_rule(), key=lambda r: r.code)


def test_codes_and_names_are_unique_across_families() -> None:
    rules = every_rule()
    codes = [r.code for r in rules]
    names = [r.name for r in rules]
    assert len(codes) == len(set(codes)), sorted(c for c in codes if codes.count(c) > 1)
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_each_family_keeps_to_its_hundreds() -> None:
    for rule in all_rules().values():
        assert rule.code[2] in "12345"
    for rule in probe_rules.RULES:
        assert rule.code[2] in "679"
    for rule in redshift_rules.RULES:
        assert rule.code[2] == "8"


def test_every_rule_is_documented_with_a_category_and_severity() -> None:
    for rule in every_rule():
        assert isinstance(rule.category, Category) and isinstance(rule.severity, Severity)
        assert rule.title.strip() and len(rule.docs.strip()) >= 40, rule.code
