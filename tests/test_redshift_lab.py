"""The seed's Redshift scenarios, run on the moto server: keydoctor names each cause."""

from __future__ import annotations

import pytest

from keydoctor.lab.emulator import Emulator
from keydoctor.lab.redshift_scenarios import SCENARIOS, run_scenario


def test_names_are_unique_and_prefixed() -> None:
    names = [s.name for s in SCENARIOS]
    assert len(set(names)) == len(names)
    assert all(name.startswith("rs-") for name in names)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_scenario_names_its_cause(moto_server: Emulator, scenario: object) -> None:
    outcome = run_scenario(moto_server, scenario)  # type: ignore[arg-type]
    assert outcome.passed, (outcome.named, outcome.codes)
