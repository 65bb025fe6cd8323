"""Suite-wide settings: every simulator started by any test checks what it emits
against the contracts, and a test fails if anything it caused violated them.

Also the real headless Chromium the web UIs' tests use (``browser``), through selenium:
launched by ``browser_helpers.chromium`` (shared with the screenshot scripts in docs/).
Without Chromium and its driver (``.ci/run`` installs them when missing) the tests skip with
the reason, except where ``SMSIM_REQUIRE_BROWSER=1`` is set (CI sets it): there a missing
browser fails every browser test instead of letting them skip unseen.
``browser_helpers.wait_for`` waits on it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import browser_helpers
import postgres_helpers
import pytest

os.environ["SMSIM_VALIDATE_CONTRACTS"] = "1"

ENGINES = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test (or module) marked ``both_engines`` runs once per store engine, through the
    ``db_engine`` fixture (and so ``smsim_config``, ``simulator``, ... on top of it)."""
    if "db_engine" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "both_engines"
    ):
        metafunc.parametrize("db_engine", ENGINES, indirect=True)


@pytest.fixture
def db_engine(request: pytest.FixtureRequest) -> str:
    """The store engine this test runs on: ``sqlite`` unless marked ``both_engines``."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh database on the test PostgreSQL server (see postgres_helpers)."""
    with postgres_helpers.fresh_database() as url:
        yield url


@pytest.fixture
def store_target(db_engine: str, request: pytest.FixtureRequest) -> str | None:
    """Where this test's simulator keeps its state: RAM (SQLite) or a fresh PostgreSQL
    database."""
    if db_engine == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return None


@pytest.fixture
def smsim_config(store_target: str | None) -> Any:
    """smsim's pytest plugin's configuration, on this test's engine."""
    from smsim.simulator.config import SimulatorConfig

    return SimulatorConfig(
        memory=store_target is None,
        db_path=store_target,
        port=0,
        clock="virtual",
        threads=8,
        webhook_workers=8,
    )


@pytest.fixture(autouse=True)
def _no_contract_violations():
    from smsim.simulator import contract_check

    before = len(contract_check.VIOLATIONS)
    yield
    new = contract_check.VIOLATIONS[before:]
    assert not new, "the simulator emitted payloads that break the contracts:\n" + "\n".join(new)


def _unavailable(reason: str) -> None:
    if os.environ.get("SMSIM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required here (SMSIM_REQUIRE_BROWSER=1): {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def _chromium_installed() -> None:
    try:
        browser_helpers.find_chromium()
    except browser_helpers.BrowserUnavailable as missing:
        _unavailable(str(missing))


@pytest.fixture
def browser(_chromium_installed: None) -> Iterator[Any]:
    """A fresh headless Chromium (1280x800) with its own profile; quits after the test."""
    with browser_helpers.chromium() as driver:
        yield driver


# The mutation score of smsim verify (tests/verify): here, not in tests/verify/conftest.py,
# because only this conftest is loaded by pytest-xdist's controller, which prints the summary.
def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the mutation score: mutants verify failed, of all mutants run."""
    verdicts = [
        dict(report.user_properties)
        for report in terminalreporter.getreports("passed") + terminalreporter.getreports("failed")
        if report.when == "call" and any(k == "mutant" for k, _ in report.user_properties)
    ]
    if not verdicts:
        return
    killed = sum(1 for v in verdicts if v["killed"])
    terminalreporter.write_sep("-", "smsim verify mutation score")
    terminalreporter.write_line(
        f"{killed}/{len(verdicts)} mutants caught ({100 * killed // len(verdicts)}%)"
    )
    for verdict in sorted(verdicts, key=lambda v: str(v["mutant"])):
        if not verdict["killed"]:
            terminalreporter.write_line(f"  MISSED  {verdict['mutant']}")
