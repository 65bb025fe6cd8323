"""The web inbox in a real browser: live list, message detail, conversation, XSS, layout.

Each test runs its own simulator (virtual clock, in memory) and one Chromium.
"""

from __future__ import annotations

import time
from typing import Any

from browser_helpers import wait_for
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

NUMBER = "+14155550100"
HANDSET = "+14155550123"
XSS = "<script>alert(1)</script>"


def _rows(driver) -> list[Any]:
    return driver.find_elements(By.CSS_SELECTOR, "#rows tr")


def _no_alert(driver) -> None:
    try:
        alert = driver.switch_to.alert
    except NoAlertPresentException:
        return
    raise AssertionError(f"an alert fired: {alert.text!r}")


def _no_horizontal_scroll(driver) -> None:
    width, inner = driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert width <= inner, f"horizontal scroll: {width} > {inner}"


def test_sdk_message_appears_live_and_list_fits_1280_and_400(
    browser, simulator, twilio_client, callback_recorder
) -> None:
    browser.get(simulator.url + "/")
    wait_for(browser, lambda d: d.find_element(By.ID, "live").text == "● live")
    browser.execute_script("window.notReloaded = true")
    assert _rows(browser) == []

    began = time.perf_counter()
    message = twilio_client.messages.create(
        to=HANDSET,
        from_=NUMBER,
        body="A long body " * 40,
        status_callback=callback_recorder.url("/status"),
    )
    row = wait_for(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, f'#rows tr[data-sid="{message.sid}"]'),
        timeout=30,  # a net for a page that never updates; how fast it does is printed
    )[0]
    delay = time.perf_counter() - began
    print(f"live update delay: {delay * 1000:.0f} ms")
    assert browser.execute_script("return window.notReloaded") is True
    assert "queued" in row.text and HANDSET in row.text
    _no_horizontal_scroll(browser)

    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 400, "height": 800, "deviceScaleFactor": 1, "mobile": False},
    )
    wait_for(browser, lambda d: d.execute_script("return window.innerWidth") == 400)
    _no_horizontal_scroll(browser)
    row = _rows(browser)[0]
    # A card per message: every field stays, labelled, inside the 400 px.
    shown = {
        c.get_attribute("data-label"): c.text
        for c in row.find_elements(By.TAG_NAME, "td")
        if c.is_displayed()
    }
    assert shown["To"] == HANDSET and shown["Status"] == "queued"
    assert shown["From"] == NUMBER
    assert row.location["x"] + row.size["width"] <= 400
    link = row.find_element(By.CSS_SELECTOR, "td.time a")
    assert link.is_displayed() and link.location["x"] + link.size["width"] <= 400
    link.click()
    wait_for(browser, lambda d: d.current_url.endswith(f"/messages/{message.sid}"))


def test_detail_shows_timeline_signed_attempts_and_redeliver_sends_again(
    browser, simulator, twilio_client, smsim_control, callback_recorder
) -> None:
    message = twilio_client.messages.create(
        to=HANDSET, from_=NUMBER, body="hello", status_callback=callback_recorder.url("/status")
    )
    smsim_control.run_until_idle()
    assert len(callback_recorder.requests) == 2  # sent, delivered
    browser.get(f"{simulator.url}/messages/{message.sid}")

    timeline = browser.find_element(By.ID, "timeline")
    assert [
        li.find_element(By.CLASS_NAME, "chip").text
        for li in timeline.find_elements(By.TAG_NAME, "li")
    ] == [
        "queued",
        "sending",
        "sent",
        "delivered",
    ]
    cards = browser.find_elements(By.CSS_SELECTOR, "#attempts .attempt")
    assert len(cards) == 2
    signature_row = cards[-1].find_element(By.CSS_SELECTOR, "tr.highlight")
    assert "X-Twilio-Signature" in signature_row.text
    received = callback_recorder.requests[-1]
    assert received.headers["X-Twilio-Signature"] in signature_row.text
    assert "webhook answered 200" in cards[-1].text

    wait_for(browser, lambda d: d.find_element(By.ID, "live").text == "● live")
    cards[-1].find_element(By.CSS_SELECTOR, "button.redeliver").click()
    again = callback_recorder.wait_for(3)[-1]
    assert again.body == received.body
    assert again.headers["X-Twilio-Signature"] == received.headers["X-Twilio-Signature"]
    wait_for(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#attempts .attempt")) == 3)
    newest = browser.find_elements(By.CSS_SELECTOR, "#attempts .attempt")[-1]
    # Numbered per message: the redelivery is the third attempt of this message.
    assert "redelivered by hand" in newest.text and "Attempt 3" in newest.text
    assert len(smsim_control.callbacks(message_sid=message.sid)) == 3


def test_reply_as_handset_fires_the_webhook_and_the_twiml_reply_shows(
    browser, simulator, smsim_control, callback_recorder
) -> None:
    account = smsim_control.create_account(
        "full", numbers=[{"phone_number": NUMBER, "sms_url": callback_recorder.url("/sms")}]
    )
    callback_recorder.respond(
        200, "<Response><Message>Table for two at 7 pm, see you!</Message></Response>"
    )
    browser.get(f"{simulator.url}/conversations/{HANDSET}?account_sid={account['sid']}")
    wait_for(browser, lambda d: d.find_element(By.ID, "live").text == "● live")
    browser.find_element(By.ID, "reply-body").send_keys("Can I book for tonight?")
    browser.find_element(By.ID, "reply-send").click()

    webhook = callback_recorder.wait_for(1)[0]
    assert webhook.params["Body"] == "Can I book for tonight?"
    assert webhook.params["From"] == HANDSET and webhook.params["To"] == NUMBER
    thread = wait_for(browser, lambda d: _thread(d) if len(_thread(d)) == 2 else None)
    assert thread[0][0] == "mine" and "Can I book for tonight?" in thread[0][1]
    assert "received" in thread[0][1]
    assert thread[1][0] == "theirs" and "Table for two at 7 pm" in thread[1][1]  # oldest first

    browser.find_element(By.CSS_SELECTOR, '[data-keyword="STOP"]').click()
    wait_for(browser, lambda d: any("unsubscribed" in text.lower() for _, text in _thread(d)))


def _thread(driver) -> list[tuple[str, str]]:
    """(side, text) of each bubble, read in one go (the thread is redrawn live)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#thread .bubble'))"
        ".map(b => [b.classList.contains('mine') ? 'mine' : 'theirs', b.innerText])"
    )


def test_script_body_shows_as_text_on_list_thread_and_detail_at_400_px(
    browser, simulator, twilio_client, smsim_control, callback_recorder
) -> None:
    message = twilio_client.messages.create(
        to=HANDSET, from_=NUMBER, body=XSS, status_callback=callback_recorder.url("/s?" + "x" * 80)
    )
    smsim_control.run_until_idle()
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 400, "height": 800, "deviceScaleFactor": 1, "mobile": False},
    )
    pages = {
        "/": f'#rows tr[data-sid="{message.sid}"] td.body',
        f"/conversations/{HANDSET}": f'#thread [data-sid="{message.sid}"] .text',
        f"/messages/{message.sid}": "#body",
    }
    for path, selector in pages.items():
        browser.get(simulator.url + path)
        shown = wait_for(browser, lambda d, s=selector: d.find_elements(By.CSS_SELECTOR, s))[0]
        _no_alert(browser)
        _no_horizontal_scroll(browser)
        assert shown.text == XSS if path != "/" else shown.get_attribute("textContent") == XSS
        assert not shown.find_elements(By.TAG_NAME, "script")
