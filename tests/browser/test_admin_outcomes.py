"""The Outcomes page in a real browser: the catalogue with its trigger numbers, and a rule
editor whose rules really decide how the next message ends."""

from __future__ import annotations

from browser_helpers import wait_for
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

HANDSET = "+14155550123"
XSS = "<script>alert(1)</script>"


def _open(browser, simulator) -> None:
    browser.get(simulator.url + "/outcomes")
    wait_for(browser, lambda d: "Loading" not in d.find_element(By.ID, "rules-body").text)


def _fill(browser, field: str, value: str) -> None:
    box = browser.find_element(By.CSS_SELECTOR, f'#rule-form [name="{field}"]')
    box.clear()
    box.send_keys(value)


def _error_for(browser, field: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, f'[data-error-for="{field}"]').text


def test_rule_from_the_editor_fails_the_next_sdk_message_then_is_used_up_and_deleted(
    browser, simulator, smsim_control, twilio_client
) -> None:
    _open(browser, simulator)
    catalogue_row = browser.find_element(By.ID, "code-30005")
    assert "Unknown destination handset" in catalogue_row.text
    assert catalogue_row.find_element(By.CSS_SELECTOR, '[data-copy="+15005553005"]').is_displayed()

    # "Rule" on a catalogue row pre-fills the code; the rest is typed with the keyboard.
    browser.find_element(By.CSS_SELECTOR, '[data-rule-code="30007"]').click()
    assert browser.find_element(By.ID, "rule-error_code").get_attribute("value") == "30007"
    _fill(browser, "to", HANDSET)
    _fill(browser, "count", "1")
    browser.find_element(By.ID, "rule-add").click()
    wait_for(browser, lambda d: "1 of 1" in d.find_element(By.ID, "rules-body").text)
    assert [r["match"] for r in smsim_control.rules()] == [{"to": HANDSET}]

    first = twilio_client.messages.create(to=HANDSET, from_="+14155550100", body="one")
    second = twilio_client.messages.create(to=HANDSET, from_="+14155550100", body="two")
    smsim_control.run_until_idle()

    failed = twilio_client.messages(first.sid).fetch()
    assert (failed.status, failed.error_code) == ("undelivered", 30007)
    assert twilio_client.messages(second.sid).fetch().status == "delivered"
    # The page keeps the remaining count current without a reload.
    wait_for(browser, lambda d: "0 of 1 (used up)" in d.find_element(By.ID, "rules-body").text)

    rule_id = smsim_control.rules()[0]["id"]
    browser.find_element(By.CSS_SELECTOR, f'[data-delete-rule="{rule_id}"]').click()
    wait_for(browser, lambda d: "No rules" in d.find_element(By.ID, "rules-body").text)
    assert smsim_control.rules() == []


def test_editor_shows_the_apis_field_errors_and_renders_rule_text_as_text(
    browser, simulator, smsim_control
) -> None:
    _open(browser, simulator)

    browser.find_element(By.ID, "rule-status").send_keys("failed")
    browser.find_element(By.ID, "rule-add").click()
    wait_for(browser, lambda d: _error_for(d, "error_code") != "")
    assert _error_for(browser, "error_code") == "required when status is failed"

    browser.find_element(By.CSS_SELECTOR, "#rule-form button[type=reset]").click()
    _fill(browser, "error_code", "30003")
    _fill(browser, "probability", "2")
    browser.find_element(By.ID, "rule-add").click()
    wait_for(browser, lambda d: _error_for(d, "probability") != "")
    assert _error_for(browser, "probability") == "must be from 0 to 1"
    assert _error_for(browser, "error_code") == ""
    assert smsim_control.rules() == []

    _fill(browser, "probability", "")
    _fill(browser, "body_contains", XSS)
    browser.find_element(By.ID, "rule-add").click()
    wait_for(browser, lambda d: XSS in d.find_element(By.ID, "rules-body").text)
    code = browser.find_element(By.CSS_SELECTOR, "#rules-body code")
    assert code.text == XSS
    assert browser.find_elements(By.CSS_SELECTOR, "#rules-body script") == []
    try:
        browser.switch_to.alert.dismiss()
        raise AssertionError("the rule's text ran as a script")
    except NoAlertPresentException:
        pass

    smsim_control.add_rule({"match": {"to": HANDSET}, "outcome": {"error_code": 30005}})
    browser.find_element(By.ID, "rules-clear").click()
    wait_for(browser, lambda d: d.switch_to.alert).accept()
    wait_for(browser, lambda d: "No rules" in d.find_element(By.ID, "rules-body").text)
    assert smsim_control.rules() == []


def test_editor_marks_every_bad_field_of_one_submit(browser, simulator, smsim_control) -> None:
    _open(browser, simulator)
    _fill(browser, "error_code", "30003")
    _fill(browser, "probability", "2")
    _fill(browser, "count", "-1")
    _fill(browser, "delays.sent", "soon")
    browser.find_element(By.ID, "rule-add").click()
    wait_for(browser, lambda d: _error_for(d, "probability") != "")
    assert _error_for(browser, "probability") == "must be from 0 to 1"
    assert _error_for(browser, "count") == "must be a whole number from 1 to 1000000000"
    assert _error_for(browser, "delays.sent") != ""
    invalid = [
        box.get_attribute("name")
        for box in browser.find_elements(By.CSS_SELECTOR, '#rule-form [aria-invalid="true"]')
    ]
    assert sorted(invalid) == ["count", "delays.sent", "probability"]
    assert browser.switch_to.active_element.get_attribute("name") == invalid[0]
    assert smsim_control.rules() == []
