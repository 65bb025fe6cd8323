"""A broken scenario file is reported before anything runs: file, line, the problem,
and the lines of the file around it."""

from __future__ import annotations

import pytest

from smsim.cli import main
from smsim.scenarios.loader import ScenarioFileError, load_file, load_paths


def problems_of(path) -> list[str]:
    with pytest.raises(ScenarioFileError) as caught:
        load_file(path)
    return [str(p) for p in caught.value.problems]


def test_yaml_syntax_error_names_the_file_and_line_with_the_snippet(scenario_file) -> None:
    path = scenario_file(
        "syntax",
        """
        name: broken quoting
        steps:
          - send_test_sms: {provider: main, to: "+12125550123", message: Are you there?}
        """,
    )

    [problem] = problems_of(path)

    assert problem.startswith(f"{path}:3: invalid YAML")
    assert '  > 3 |   - send_test_sms: {provider: main, to: "+12125550123"' in problem


def test_unknown_step_kind_points_at_its_line_and_suggests_the_right_one(scenario_file) -> None:
    path = scenario_file(
        "typo",
        """
        name: typo
        steps:
          - run_until_idle
          - sned_test_sms: {provider: main, message: hi}
        """,
    )

    [problem] = problems_of(path)

    assert f"{path}:4: steps[1]: unknown key 'sned_test_sms'" in problem
    assert "(did you mean 'send_test_sms'?)" in problem


def test_every_schema_problem_is_reported_in_file_order(scenario_file) -> None:
    path = scenario_file(
        "schema",
        """
        name: several problems
        setup:
          accounts:
            acme: {type: gold, numbers: ["14155550100"]}
        steps:
          - send_test_sms: {provider: acme, message: 5}
          - advance: 10 minutes
        expect:
          - messages: {count: many}
        """,
    )

    problems = problems_of(path)

    assert [p.split(": ", 1)[0] for p in problems] == [f"{path}:{n}" for n in (4, 4, 6, 7, 9)]
    text = "\n".join(problems)
    assert "setup.accounts.acme.type: 'gold' is not one of: trial, full" in text
    assert "'14155550100' is not an E.164 number" in text
    assert "steps[0].send_test_sms.message: expected text, got 5" in text
    assert "steps[1].advance: '10 minutes' is not a duration such as 90s, 15m, 2h or 1d" in text
    assert "expect[0].messages.count: expected an integer (or a ${...} reference), got 'many'" in (
        text
    )


def test_names_that_refer_to_nothing_are_caught_before_running(scenario_file) -> None:
    path = scenario_file(
        "references",
        """
        name: dangling names
        setup:
          accounts:
            acme: {numbers: ["+14155550100"]}
          providers:
            main: {account: acme, callback_url: custom}
        steps:
          - send_test_sms: {provider: mian, to: "+12125550123", message: hi}
            save: test
        expect:
          - message: {sid: "${tset.sid}", status: delivered}
          - stats: {provider: main, delivered: 1}
            events: {name: Notification Delivered}
        """,
    )

    problems = problems_of(path)

    assert [p.split("\n")[0] for p in problems] == [
        f"{path}:6: unknown webhook target 'custom': use client, an endpoint named in "
        "setup.endpoints, or an http(s) URL",
        f"{path}:8: unknown provider 'mian' (did you mean 'main'?) (defined: main)",
        f"{path}:11: unknown reference ${{tset.sid}}: 'tset' is not a var, a saved step "
        "result or a built-in (did you mean 'test'?)",
        f"{path}:12: expect[1]: an expectation has exactly one kind (found: stats, events); "
        "start another list item",
    ]


def test_a_key_given_twice_names_both_lines(scenario_file) -> None:
    path = scenario_file(
        "duplicate",
        """
        name: first
        steps: []
        name: second
        """,
    )

    [problem] = problems_of(path)

    assert problem.startswith(f"{path}:3: duplicate key 'name' (first given at line 1)")


def test_phone_numbers_and_yes_stay_text(scenario_file) -> None:
    path = scenario_file(
        "yaml12",
        """
        name: plain YAML surprises
        setup:
          accounts:
            acme: {numbers: [+14155550100]}
        steps:
          - reply: {from: +12125550123, to: +14155550100, body: YES}
          - reply: {from: +12125550123, to: +14155550100, body: on}
        """,
    )

    [scenario] = load_file(path)

    assert scenario.setup["accounts"]["acme"]["numbers"] == ["+14155550100"]
    assert [s.args["body"] for s in scenario.steps] == ["YES", "on"]
    assert scenario.steps[0].args["from"] == "+12125550123"


def test_shared_setup_and_parametrize_make_one_scenario_per_entry(scenario_file) -> None:
    path = scenario_file(
        "shared",
        """
        setup:
          accounts:
            acme: {numbers: ["+14155550100"]}
        scenarios:
          - name: code ${code}
            parametrize: [{code: 30003}, {code: 30005}]
            setup:
              accounts:
                other: {type: trial}
            steps: [run_until_idle]
          - name: plain
            steps: [run_until_idle]
        """,
    )

    scenarios = load_file(path)

    assert [s.name for s in scenarios] == ["code 30003", "code 30005", "plain"]
    assert set(scenarios[0].setup["accounts"]) == {"acme", "other"}
    assert dict(scenarios[1].vars)["code"] == 30005
    assert [s.line for s in scenarios] == [5, 5, 11]


def test_problems_of_every_file_are_reported_together(scenario_file) -> None:
    one = scenario_file("one", "name: one\nsteps: [advance: soon]\n")
    two = scenario_file("two", "name: two\nsteps: [sleep]\n")

    with pytest.raises(ScenarioFileError) as caught:
        load_paths([one.parent])

    assert {p.file for p in caught.value.problems} == {one, two}
    assert str(caught.value).startswith("2 problems in 2 scenario files:")


def test_smsim_run_reports_a_broken_file_and_runs_nothing(scenario_file, capsys) -> None:
    good = scenario_file("good", "name: fine\nsteps: [run_until_idle]\n")
    bad = scenario_file("bad", "name: broken\nsteps:\n  - advance: soon\n")

    code = main(["run", str(good), str(bad), "-j", "1"])

    out, err = capsys.readouterr()
    assert code == 2
    assert f"{bad}:3: steps[0].advance: 'soon' is not a duration" in err
    assert "  > 3 |   - advance: soon" in err
    assert "nothing was run" in err
    assert "PASS" not in out
