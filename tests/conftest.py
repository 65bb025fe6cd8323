"""Suite-wide settings: every simulator started by any test checks what it emits
against the contracts, and a test fails if anything it caused violated them.

Also the real headless Chromium the web UIs' tests use (``browser``), through selenium:
Debian's ``chromium`` and ``chromium-driver`` as installed (``.ci/run`` installs them when
missing); nothing downloads a browser. Without them the tests skip with the reason, except
where ``SMSIM_REQUIRE_BROWSER=1`` is set (CI sets it): there a missing browser fails every
browser test instead of letting them skip unseen. ``browser_helpers.wait_for`` waits on it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ["SMSIM_VALIDATE_CONTRACTS"] = "1"


@pytest.fixture(autouse=True)
def _no_contract_violations():
    from smsim.simulator import contract_check

    before = len(contract_check.VIOLATIONS)
    yield
    new = contract_check.VIOLATIONS[before:]
    assert not new, "the simulator emitted payloads that break the contracts:\n" + "\n".join(new)


CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
DRIVER_CANDIDATES = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")

# What the machine's closed network needs: no background fetches, no sandbox as root.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,800",
)


def _first_existing(candidates: tuple[str, ...], name: str) -> str | None:
    for path in candidates:
        if Path(path).exists():
            return path
    return shutil.which(name)


def _unavailable(reason: str) -> None:
    if os.environ.get("SMSIM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required here (SMSIM_REQUIRE_BROWSER=1): {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def _chromium_paths() -> tuple[str, str]:
    try:
        import selenium  # noqa: F401
    except ImportError:
        _unavailable("selenium is not installed (pip install '.[test]')")
    browser = _first_existing(CHROMIUM_CANDIDATES, "chromium")
    driver = _first_existing(DRIVER_CANDIDATES, "chromedriver")
    if browser is None or driver is None:
        _unavailable(
            "Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        )
    assert browser is not None and driver is not None
    return browser, driver


@pytest.fixture
def browser(_chromium_paths: tuple[str, str]) -> Iterator[Any]:
    """A fresh headless Chromium (1280x800) with its own profile; quits after the test."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = _chromium_paths
    profile = tempfile.mkdtemp(prefix="smsim-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


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
