"""``smsim run``: exit codes, progress, the summary table, JUnit XML and JSON reports."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from conftest import WORLD

from smsim.cli import main

PASSING = (
    WORLD
    + """
name: delivered
tags: [happy]
steps:
  - send_test_sms: {provider: main, to: "${handset}", message: hello}
    save: test
  - run_until_idle
expect:
  - message: {sid: "${test.sid}", status: delivered}
"""
)
FAILING = (
    WORLD
    + """
name: wrong expectation
steps:
  - send_test_sms: {provider: main, to: "${handset}", message: hello}
  - run_until_idle
expect:
  - stats: {provider: main, delivered: 3}
"""
)


def test_passing_files_exit_0_with_progress_table_and_reports(scenario_file, tmp_path, capsys):
    path = scenario_file("ok", PASSING)
    skipped = scenario_file("later", "name: later\nskip: needs MMS\nsteps: [run_until_idle]\n")
    junit, report = tmp_path / "junit.xml", tmp_path / "report.json"

    code = main(
        ["run", str(path), str(skipped), "-j", "1", "--junit", str(junit), "--json", str(report)]
    )

    out = capsys.readouterr().out
    assert code == 0
    assert "] PASS " in out and "ok.scenario.yaml::delivered" in out
    assert "] SKIP " in out and "(needs MMS)" in out
    assert "RESULT  TIME" in out  # the summary table
    assert "2 scenarios: 1 passed, 1 skipped in" in out
    suites = ET.parse(junit).getroot()
    assert (suites.get("tests"), suites.get("failures"), suites.get("skipped")) == ("2", "0", "1")
    case = suites.find("testsuite/testcase[@name='delivered']")
    assert case is not None and case.get("classname") == "ok" and case.find("failure") is None
    data = json.loads(report.read_text())
    assert data["summary"]["passed"] == 1 and data["summary"]["skipped"] == 1
    assert data["scenarios"][0]["outcome"] == "passed"
    assert data["scenarios"][1]["reason"] == "needs MMS"


def test_a_failure_exits_1_and_every_report_shows_step_expected_and_actual(
    scenario_file, tmp_path, capsys
):
    path = scenario_file("bad", FAILING)
    junit, report = tmp_path / "junit.xml", tmp_path / "report.json"

    code = main(["run", str(path), "-j", "1", "--junit", str(junit), "--json", str(report)])

    out = capsys.readouterr().out
    assert code == 1
    assert "] FAIL " in out
    assert "at expect 1 (stats)" in out and "  > 15 |   - stats:" in out
    assert "    delivered:\n      expected: 3\n      actual:   1" in out
    assert "1 scenario: 1 failed in" in out
    failure = ET.parse(junit).getroot().find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == "expect 1 (stats): stats of provider main"
    assert "expected: 3" in failure.text
    [scenario] = json.loads(report.read_text())["scenarios"]
    assert scenario["failure"]["line"] == 15
    assert scenario["failure"]["mismatches"] == [{"path": "delivered", "expected": 3, "actual": 1}]


def test_k_selects_by_name_or_tag_and_list_shows_where_each_scenario_is(scenario_file, capsys):
    good = scenario_file("ok", PASSING)
    scenario_file("bad", FAILING)

    assert main(["run", str(good.parent), "-k", "happy", "-j", "1", "--no-table"]) == 0
    out = capsys.readouterr().out
    assert "1 scenario: 1 passed" in out

    assert main(["run", str(good.parent), "--list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert any(line.endswith("bad.scenario.yaml:10  wrong expectation") for line in listed)
    assert any("ok.scenario.yaml:10  delivered  [happy]" in line for line in listed)

    assert main(["run", str(good.parent), "-k", "nothing-like-this"]) == 2


def test_a_missing_path_is_a_usage_error(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.scenario.yaml")]) == 2
    assert "no such file or directory" in capsys.readouterr().err


@pytest.mark.slow
def test_the_command_runs_scenarios_in_parallel_worker_processes(scenario_file):
    ok = scenario_file("ok", PASSING)
    bad = scenario_file("bad", FAILING)

    done = subprocess.run(
        [sys.executable, "-m", "smsim", "run", str(ok), str(bad), "-j", "2", "--no-table"],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 1, done.stderr
    assert "2 at a time" in done.stdout
    assert "2 scenarios: 1 passed, 1 failed" in done.stdout
    assert "actual:   1" in done.stdout
