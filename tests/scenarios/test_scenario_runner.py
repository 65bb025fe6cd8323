"""The runner: what a failing scenario reports, skips, repeatability, and matching."""

from __future__ import annotations

from conftest import WORLD

from smsim.scenarios import pool
from smsim.scenarios.loader import load_file
from smsim.scenarios.matching import compare, missing
from smsim.scenarios.report import format_failure
from smsim.scenarios.runner import FAILED, PASSED, SKIPPED, run_scenario
from smsim.scenarios.world import World


def run_one(path):
    [scenario] = load_file(path)
    return run_scenario(scenario)


def test_a_failing_expectation_shows_the_step_the_lines_expected_and_actual(
    scenario_file,
) -> None:
    path = scenario_file(
        "failing",
        WORLD
        + """
name: expects one delivery too many
steps:
  - send_test_sms: {provider: main, to: "${handset}", message: hello}
  - run_until_idle
expect:
  - stats: {provider: main, sent: 1, delivered: 2}
""",
    )

    result = run_one(path)
    report = format_failure(result)

    assert result.outcome == FAILED
    assert result.failure.where == "expect 1 (stats)"
    assert result.failure.line == 15
    assert f"at expect 1 (stats), {path}:15" in report
    assert "  > 15 |   - stats: {provider: main, sent: 1, delivered: 2}" in report
    assert "    delivered:\n      expected: 2\n      actual:   1" in report
    assert '"delivered": 1' in report  # what was there, for near misses
    assert "step 1 (send_test_sms): test SMS to +1 " in report


def test_a_step_whose_answer_differs_fails_at_that_step(scenario_file) -> None:
    path = scenario_file(
        "answer",
        WORLD
        + """
name: test SMS expected to be refused
steps:
  - send_test_sms: {provider: main, to: "${handset}", message: hello}
    expect: {body: {ok: false, error_code: 21608}}
  - run_until_idle
""",
    )

    result = run_one(path)
    report = format_failure(result)

    assert result.failure.where == "step 1 (send_test_sms)"
    assert result.steps_run == 0
    assert "  > 12 |   - send_test_sms:" in report
    assert "    body.ok:\n      expected: False\n      actual:   True" in report
    assert "    body.error_code:\n      expected: 21608\n      actual:   (missing)" in report


def test_an_http_error_fails_the_step_unless_expected(scenario_file) -> None:
    path = scenario_file(
        "http",
        WORLD
        + """
name: Template ID missing
steps:
  - send_campaign: {provider: main, message: "", recipients: ["${handset}"]}
""",
    )

    result = run_one(path)

    assert result.outcome == FAILED
    assert [(m.path, m.expected, m.actual) for m in result.failure.mismatches] == [
        ("status", "2xx", 400)
    ]
    assert result.failure.actual["fields"]["message"] == "is required"


def test_a_callback_expectation_lists_the_callbacks_that_did_arrive(scenario_file) -> None:
    path = scenario_file(
        "callbacks",
        WORLD
        + """
name: expects a failure that does not happen
steps:
  - send_test_sms: {provider: main, to: "${handset}", message: hello}
    save: test
  - run_until_idle
expect:
  - callbacks: {message: "${test.sid}", statuses: [sent, undelivered]}
""",
    )

    result = run_one(path)

    [miss] = result.failure.mismatches
    assert (miss.path, miss.expected, miss.actual) == ("statuses[1]", "undelivered", "delivered")
    assert [c["status"] for c in result.failure.actual["matching"]] == ["sent", "delivered"]


def test_skip_is_reported_with_its_reason(scenario_file) -> None:
    path = scenario_file(
        "skipped",
        """
        name: waits for a feature
        skip: needs MMS
        steps: [run_until_idle]
        """,
    )

    result = run_one(path)

    assert (result.outcome, result.reason) == (SKIPPED, "needs MMS")


def test_the_same_seed_gives_the_same_numbers_and_the_same_realistic_outcomes(
    scenario_file,
) -> None:
    path = scenario_file(
        "repeatable",
        """
        name: realistic and repeatable
        seed: 42
        vars:
          sender: ${faker.twilio_number}
          audience: ${faker.handsets(40)}
        setup:
          carrier_profile: realistic
          accounts:
            acme: {numbers: ["${sender}"]}
          providers:
            main: {account: acme}
        steps:
          - send_campaign: {provider: main, message: Big news today, recipients: "${audience}"}
            save: news
          - run_until_idle
        expect:
          - stats: {campaign: news, delivered: -1}  # fails on purpose, to show the stats
        """,
    )

    first, second = run_one(path), run_one(path)

    assert first.failure.actual == second.failure.actual
    stats = first.failure.actual
    assert stats["targeted"] == 40 and stats["failed"] > 0  # the profile did fail some
    assert stats["delivered"] + stats["failed"] == 40


def test_a_passing_scenario_runs_every_step(scenario_file) -> None:
    path = scenario_file(
        "passing",
        WORLD
        + """
name: delivered
steps:
  - send_test_sms: {provider: main, to: "${handset}", message: hello}
    save: test
  - run_until_idle
expect:
  - message: {sid: "${test.sid}", status: delivered, to: "${handset}"}
""",
    )

    result = run_one(path)

    assert (result.outcome, result.steps_run, result.failure) == (PASSED, 2, None)


def test_numbers_match_their_text_and_matchers_read_naturally() -> None:
    callback = {"ErrorCode": "30005", "MessageStatus": "undelivered", "Body": "Hi there"}

    assert compare({"ErrorCode": 30005, "Body": {"$startswith": "Hi"}}, callback) == []
    assert compare({"count": {"$gte": 2}}, {"count": 3}) == []
    assert compare({"status": {"$in": ["sent", "delivered"]}}, {"status": "sent"}) == []
    [miss] = compare({"ErrorCode": 30003}, callback)
    assert (miss.path, miss.expected, miss.actual) == ("ErrorCode", 30003, "30005")
    [gone] = compare({"ErrorCod": 1}, callback)
    assert gone.actual is missing() and "ErrorCode" in gone.note
    assert compare(True, "true") != []  # booleans are not text


def test_a_scenario_never_sees_what_the_previous_one_left(scenario_file) -> None:
    first = scenario_file(
        "first",
        WORLD
        + """
name: leaves things behind
steps:
  - send_test_sms: {provider: main, to: "${handset}", message: hello}
  - set_rule: {outcome: {error_code: 30003}}
""",
    )
    second = scenario_file("second", WORLD + "\nname: starts from nothing\nsteps: []\n")
    assert run_one(first).outcome == PASSED
    warm = {lease.simulator.url for leases in pool._idle.values() for lease in leases}

    [scenario] = load_file(second)
    with World(scenario) as world:
        assert world.sim_url in warm  # the servers the first scenario used, reset
        assert world.control.accounts() == []
        assert world.control.rules() == []
        assert world.control.messages() == []
        assert world.control.health()["pending_jobs"] == 0
        assert world.client_api("GET", "/api/providers").json()["providers"] == []
        assert world.client_api("GET", "/api/events?name=Notification Sent").json()["events"] == []
