"""The Clock page in a real browser: advancing a virtual clock moves "now" and delivers a
pending message; on a real clock the buttons are disabled with the reason."""

from __future__ import annotations

import datetime as dt

from browser_helpers import wait_for
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from smsim.simulator.config import SimulatorConfig
from smsim.simulator.server import SimulatorServer


def _iso_now(browser) -> dt.datetime:
    return dt.datetime.fromisoformat(
        browser.find_element(By.ID, "clock-now").get_attribute("datetime").replace("Z", "+00:00")
    )


def test_advancing_a_virtual_clock_moves_now_and_delivers_a_pending_message(
    browser, simulator, smsim_control, twilio_client
) -> None:
    message = twilio_client.messages.create(to="+14155550123", from_="+14155550100", body="hi")
    before = smsim_control.clock()
    assert before["pending_jobs"] >= 1

    browser.get(simulator.url + "/clock")
    wait_for(browser, lambda d: d.find_element(By.ID, "clock-mode").text == "virtual")
    assert browser.find_element(By.ID, "clock-pending").text == str(before["pending_jobs"])
    assert browser.find_element(By.ID, "clock-real-note").is_displayed() is False
    shown = _iso_now(browser)
    assert abs(shown.timestamp() - before["now"]) < 1

    seconds = browser.find_element(By.ID, "advance-seconds")
    seconds.clear()
    seconds.send_keys("30", Keys.ENTER)
    wait_for(browser, lambda d: d.find_element(By.ID, "clock-pending").text == "0")

    after = smsim_control.clock()
    assert after["now"] == before["now"] + 30
    assert abs(_iso_now(browser).timestamp() - after["now"]) < 1
    assert browser.find_element(By.ID, "clock-now").text != ""
    assert "Ran " in browser.find_element(By.ID, "clock-result").text
    assert twilio_client.messages(message.sid).fetch().status == "delivered"

    later = twilio_client.messages.create(to="+14155550123", from_="+14155550100", body="more")
    wait_for(browser, lambda d: d.find_element(By.ID, "clock-pending").text != "0")  # re-synced
    browser.find_element(By.ID, "run-until-idle").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "clock-pending").text == "0")
    assert twilio_client.messages(later.sid).fetch().status == "delivered"
    after = smsim_control.clock()

    seconds.clear()
    seconds.send_keys("-5", Keys.ENTER)
    error = '#advance-form [data-error-for="seconds"]'
    wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, error).text != "")
    assert "non-negative" in browser.find_element(By.CSS_SELECTOR, error).text
    assert smsim_control.clock()["now"] == after["now"]


def test_a_real_clock_ticks_and_its_buttons_are_disabled_with_the_reason(browser) -> None:
    with SimulatorServer(SimulatorConfig(memory=True, port=0, clock="real")) as real:
        browser.get(real.url + "/clock")
        wait_for(browser, lambda d: d.find_element(By.ID, "clock-mode").text == "real")
        note = browser.find_element(By.ID, "clock-real-note")
        assert note.is_displayed() and "smsim serve --clock virtual" in note.text
        assert "smsim up --clock virtual" in note.text  # true for `smsim up` users too
        for button in browser.find_elements(By.CSS_SELECTOR, "[data-needs-virtual]"):
            assert button.get_attribute("disabled") is not None, button.text
        first = browser.find_element(By.ID, "clock-now").text
        wait_for(browser, lambda d: d.find_element(By.ID, "clock-now").text != first, timeout=5)
