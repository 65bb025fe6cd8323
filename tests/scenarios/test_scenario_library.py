"""The bundled library: every scenario passes (one test per scenario, so CI spreads
them over xdist workers), and together they cover everything the seed describes."""

from __future__ import annotations

import pytest

from smsim.contracts import catalogue
from smsim.scenarios.loader import library_dir, load_paths
from smsim.scenarios.report import format_failure
from smsim.scenarios.runner import SKIPPED, run_scenario

LIBRARY = load_paths([library_dir()])

# What the bundled library must show (docs/scenarios.md), as tags its scenarios carry.
REQUIRED_TOPICS = {
    "error-codes",
    "delivered",
    "reply",
    "click",
    "ctr",
    "trial",
    "custom-callback",
    "restore",
    "default-provider",
    "template-id",
    "copilot",
    "opt-out",
    "queue-overflow",
    "scheduled",
    "canceled",
    "suspended",
    "forged",
    "campaign",
}


@pytest.mark.parametrize("scenario", LIBRARY, ids=[s.id for s in LIBRARY])
def test_library_scenario(scenario) -> None:
    result = run_scenario(scenario)
    if result.outcome == SKIPPED:
        pytest.skip(result.reason or "skipped")
    if not result.ok:
        pytest.fail(format_failure(result), pytrace=False)


def test_library_covers_every_topic_of_the_seed() -> None:
    tags = {tag for scenario in LIBRARY for tag in scenario.tags}
    assert tags >= REQUIRED_TOPICS, f"no scenario for: {sorted(REQUIRED_TOPICS - tags)}"


def test_every_catalogued_callback_code_has_a_scenario_with_its_description() -> None:
    covered = {}
    for scenario in LIBRARY:
        values = dict(scenario.vars)
        if "error-codes" in scenario.tags and "code" in values and "description" in values:
            covered[int(values["code"])] = values["description"]
    assert set(catalogue.async_codes()) <= set(covered)
    for code, description in covered.items():
        assert description == catalogue.describe(code), code


def test_library_has_twilio_side_scenarios_for_against_runs() -> None:
    twilio_side = [s for s in LIBRARY if not s.needs_client]
    assert len(twilio_side) >= 8
    assert all("twilio" in s.tags for s in twilio_side)


def test_no_library_scenario_is_skipped_in_process() -> None:
    assert [s.id for s in LIBRARY if s.skip] == []
