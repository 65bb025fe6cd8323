"""The inbox never cuts a phone number: the longest E.164 number (+ and 15 digits) shows
whole in the message list on a laptop (1280 px) and on a phone (400 px, where it may wrap)."""

from __future__ import annotations

from typing import Any

from browser_helpers import wait_for
from selenium.webdriver.common.by import By

LONG_NUMBERS = ("+491711234567890", "+8613800138000", "+447700900456")

CUT_NUMBERS = """
return [...document.querySelectorAll('#rows td.num')]
  .filter(cell => cell.offsetParent !== null && cell.scrollWidth > cell.clientWidth)
  .map(cell => cell.textContent);
"""


def test_longest_numbers_show_whole_in_the_list_at_1280_and_400(
    browser: Any, simulator: Any, twilio_client: Any
) -> None:
    for number in LONG_NUMBERS:
        twilio_client.messages.create(to=number, from_="+14155550100", body="hello")
    for width in (1280, 400):
        browser.set_window_size(width, 800)
        browser.get(simulator.url + "/")
        wait_for(
            browser,
            lambda d: len(d.find_elements(By.CSS_SELECTOR, "#rows tr")) == len(LONG_NUMBERS),
        )
        shown = {
            cell.text.replace("\n", "")
            for cell in browser.find_elements(By.CSS_SELECTOR, "#rows td.num")
            if cell.is_displayed()
        }
        assert set(LONG_NUMBERS) <= shown, (width, shown)
        assert browser.execute_script(CUT_NUMBERS) == [], width
