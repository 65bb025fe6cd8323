"""Every page of the inbox at 400 px: no sideways scroll of the page, even with long
unbroken data, and the message list keeps status and error code on its cards."""

from __future__ import annotations

from browser_helpers import wait_for
from selenium.webdriver.common.by import By

NUMBER = "+14155550100"
LONG = "x" * 150

WIDTH = "return [document.documentElement.scrollWidth, window.innerWidth]"
# What sticks out, to say why a page scrolls.
OUTSIDE = """
return [...document.querySelectorAll('body *')]
  .filter(n => n.getBoundingClientRect().right > window.innerWidth + 0.5)
  .map(n => n.tagName + '#' + n.id + '.' + n.className).slice(0, 8);
"""


def _fits(browser, path: str) -> None:
    width, inner = browser.execute_script(WIDTH)
    assert inner == 400, inner
    outside = browser.execute_script(OUTSIDE) if width > inner else []
    assert width <= inner, f"{path}: the page scrolls sideways ({width} > {inner}): {outside}"


def test_every_inbox_page_fits_400_px(browser, simulator, smsim_control) -> None:
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 400, "height": 800, "deviceScaleFactor": 1, "mobile": False},
    )
    browser.get(simulator.url + "/")  # empty: the first-message hint with its curl line
    wait_for(browser, lambda d: d.find_element(By.ID, "first-send").is_displayed())
    _fits(browser, "/ (empty)")

    account = smsim_control.create_account(
        "full",
        friendly_name=LONG,
        numbers=[{"phone_number": NUMBER, "sms_url": f"http://127.0.0.1:9/{LONG}"}],
    )
    smsim_control.add_rule({"match": {"body_contains": LONG}, "outcome": {"error_code": 30003}})
    from twilio.rest import Client

    twilio = Client(account["sid"], account["auth_token"], environment={})
    twilio.api.base_url = simulator.url
    failed = twilio.messages.create(
        to="+15005553007", from_=NUMBER, body=LONG, status_callback=f"http://127.0.0.1:9/{LONG}"
    ).sid
    smsim_control.inbound(from_="+14155550123", to=NUMBER, body=LONG)
    smsim_control.run_until_idle()

    pages = {
        "/": f'#rows tr[data-sid="{failed}"]',
        "/?status=canceled": "#empty",
        "/conversations/+14155550123": "#thread .bubble",
        f"/messages/{failed}": "#attempts .attempt",
        "/messages/SMdoesnotexist": ".error-page",
        "/outcomes": "#rules-body [data-delete-rule]",
        "/accounts": "article.account form",
        "/clock": "#clock-mode:not(:empty)",
    }
    for path, ready in pages.items():
        browser.get(simulator.url + path)
        wait_for(browser, lambda d, css=ready: d.find_elements(By.CSS_SELECTOR, css))
        _fits(browser, path)
        if path == f"/messages/{failed}":
            for summary in browser.find_elements(By.CSS_SELECTOR, "details summary"):
                summary.click()  # opened: headers, parameters, response, curl, raw JSON
            _fits(browser, path + " (every section open)")

    browser.get(simulator.url + "/")
    row = f'tr[data-sid="{failed}"]'
    card = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, row))[0]
    status = card.find_element(By.CSS_SELECTOR, "td.status")
    error = card.find_element(By.CSS_SELECTOR, "td.error")
    assert status.is_displayed() and status.text == "undelivered"
    assert error.is_displayed() and error.text.startswith("30007")
    assert card.location["x"] + card.size["width"] <= 400


def test_outcomes_jump_links_reach_each_table_on_a_phone(browser, simulator) -> None:
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 400, "height": 800, "deviceScaleFactor": 1, "mobile": False},
    )
    browser.get(simulator.url + "/outcomes")
    links = browser.find_elements(By.CSS_SELECTOR, ".jump-links a")
    assert [link.text.split(" (")[0] for link in links][:2] == ["Rules", "Error catalogue"]
    target = links[-1].get_attribute("href").split("#", 1)[1]
    links[-1].click()
    heading = browser.find_element(By.ID, target)
    wait_for(browser, lambda d: 0 <= heading.rect["y"] - d.execute_script("return scrollY") < 800)
    assert browser.execute_script("return scrollY") > 2000  # far down the page, reached at once
