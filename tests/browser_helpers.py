"""Small helpers for browser tests."""

from __future__ import annotations

from typing import Any


def wait_for(driver: Any, condition: Any, timeout: float = 10.0) -> Any:
    """``WebDriverWait(driver, timeout).until(condition)``, shorter to write in tests."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(condition)
