"""The Accounts page follows changes made through the API (a test suspends an account, a
script adds a number) without a reload, and never redraws under the user's typing."""

from __future__ import annotations

import time
from typing import Any

from browser_helpers import wait_for
from selenium.webdriver.common.by import By

from smsim.testing import ControlClient

POLL_SECONDS = 3  # admin_accounts.js POLL_MS


def _open(browser: Any, simulator: Any) -> None:
    browser.get(simulator.url + "/accounts")
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "article.account"))


def _shown(browser: Any, sid: str) -> bool:
    return bool(browser.find_elements(By.CSS_SELECTOR, f'article[data-account-sid="{sid}"]'))


def _article_text(browser: Any, sid: str) -> str:
    """Read in one step: a redraw between finding the article and reading it is no error."""
    return str(
        browser.execute_script(
            "const a = document.querySelector(`article[data-account-sid='${arguments[0]}']`);"
            "return a ? a.innerText : '';",
            sid,
        )
    )


def test_accounts_and_suspensions_made_through_the_api_show_without_a_reload(
    browser: Any, simulator: Any, smsim_control: ControlClient
) -> None:
    _open(browser, simulator)
    browser.execute_script("window.notReloaded = true")
    created = smsim_control.create_account("trial", friendly_name="made by a script")
    wait_for(browser, lambda d: _shown(d, created["sid"]), timeout=POLL_SECONDS * 3)

    smsim_control.suspend(created["sid"])
    wait_for(
        browser,
        lambda d: "suspended" in _article_text(d, created["sid"]),
        timeout=POLL_SECONDS * 3,
    )
    assert browser.execute_script("return window.notReloaded") is True


def test_a_field_being_typed_in_is_not_redrawn_away(
    browser: Any, simulator: Any, smsim_control: ControlClient
) -> None:
    first = smsim_control.create_account("full", friendly_name="first")
    _open(browser, simulator)
    box = browser.find_element(By.ID, f"{first['sid']}-add-number-phone_number")
    box.send_keys("+1415555")
    browser.execute_script("arguments[0].blur()", box)  # not focused: only the text holds it

    later = smsim_control.create_account("trial", friendly_name="later")
    # Two poll periods: no redraw may take the half-typed number away meanwhile.
    deadline = time.monotonic() + POLL_SECONDS * 2
    while time.monotonic() < deadline:
        field = browser.find_element(By.ID, f"{first['sid']}-add-number-phone_number")
        assert field.get_attribute("value") == "+1415555"
        assert not _shown(browser, later["sid"])
        time.sleep(0.2)

    field.clear()  # back as rendered and left: the page catches up
    browser.execute_script("arguments[0].blur()", field)
    wait_for(browser, lambda d: _shown(d, later["sid"]), timeout=POLL_SECONDS * 3)
