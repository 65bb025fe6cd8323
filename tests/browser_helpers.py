"""Headless Chromium for the browser tests and the screenshot scripts in docs/, and small
helpers for browser tests.

:func:`chromium` is the one way smsim launches a browser: Debian's ``chromium`` and
``chromium-driver`` as installed (nothing downloads a browser), driven through selenium,
each launch with its own temporary profile that is removed when the browser quits.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
)


class BrowserUnavailable(RuntimeError):
    """Chromium, chromedriver or selenium is missing; the message says how to install it."""


def _first_existing(candidates: tuple[str, ...], name: str) -> str | None:
    for path in candidates:
        if Path(path).exists():
            return path
    return shutil.which(name)


def find_chromium() -> tuple[str, str]:
    """The paths of Chromium and its driver; raises :class:`BrowserUnavailable` without them."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        raise BrowserUnavailable("selenium is not installed (pip install -e '.[test]')") from None
    browser = _first_existing(CHROMIUM_CANDIDATES, "chromium")
    driver = _first_existing(DRIVER_CANDIDATES, "chromedriver")
    if browser is None or driver is None:
        raise BrowserUnavailable(
            "Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        )
    return browser, driver


@contextmanager
def chromium(
    width: int = 1280, height: int = 800, extra_flags: tuple[str, ...] = ()
) -> Iterator[Any]:
    """A fresh headless Chromium (a selenium driver) with a window of ``width`` x
    ``height`` and its own temporary profile; quits and removes the profile on exit,
    also when the browser fails to start."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = find_chromium()
    profile = tempfile.mkdtemp(prefix="smsim-chromium-")
    try:
        options = webdriver.ChromeOptions()
        options.binary_location = binary
        for flag in (*CHROMIUM_FLAGS, f"--window-size={width},{height}", *extra_flags):
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
        try:
            driver.set_page_load_timeout(30)
            yield driver
        finally:
            driver.quit()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver: Any, condition: Any, timeout: float = 10.0) -> Any:
    """``WebDriverWait(driver, timeout).until(condition)``, shorter to write in tests."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(condition)
