"""pytest collects scenario files: one item per scenario, failures shown with the
failing step from the file, broken files as collection errors naming file and line."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import WORLD

PASSING = (
    WORLD
    + """
scenarios:
  - name: delivered
    steps:
      - send_test_sms: {provider: main, to: "${handset}", message: hello}
        save: test
      - run_until_idle
    expect:
      - message: {sid: "${test.sid}", status: delivered}
  - name: waits for MMS
    skip: needs MMS
    steps: [run_until_idle]
"""
)
FAILING = (
    WORLD
    + """
name: expects a failure
steps:
  - send_test_sms: {provider: main, to: "${handset}", message: hello}
    save: test
  - run_until_idle
expect:
  - message: {sid: "${test.sid}", status: undelivered}
"""
)


# Plugins this repository's pytest settings turn off, plus slow ones a scenario never uses.
QUIET = ["cacheprovider", "schemathesis", "randomly", "faker", "hypothesispytest"]


def pytest_run(directory, *args: str) -> subprocess.CompletedProcess[str]:
    """Run pytest on ``directory`` in a fresh process, with smsim's plugin (installed)."""
    off = [arg for name in QUIET for arg in ("-p", f"no:{name}")]
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(directory), *off, "-rA", *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=directory,
    )


@pytest.mark.slow
def test_each_scenario_is_an_item_and_a_failure_shows_its_step(scenario_file):
    ok = scenario_file("ok", PASSING)
    scenario_file("fails", FAILING)

    done = pytest_run(ok.parent, "-n", "2")

    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert "1 failed, 1 passed, 1 skipped" in out
    assert "PASSED ok.scenario.yaml::delivered" in out
    assert "SKIPPED" in out and "needs MMS" in out
    assert "FAILED fails.scenario.yaml::expects a failure" in out
    assert "at expect 1 (message)" in out
    assert '  > 16 |   - message: {sid: "${test.sid}", status: undelivered}' in out
    assert "    status:\n      expected: 'undelivered'\n      actual:   'delivered'" in out


@pytest.mark.slow
def test_a_broken_file_is_a_collection_error_naming_file_and_line(scenario_file):
    broken = scenario_file("broken", "name: broken\nsteps:\n  - sned_test_sms: {}\n")

    done = pytest_run(broken.parent)

    assert done.returncode == 2
    assert "ERROR collecting broken.scenario.yaml" in done.stdout
    assert f"{broken}:3: steps[0]: unknown key 'sned_test_sms'" in done.stdout
    assert "  > 3 |   - sned_test_sms: {}" in done.stdout
