"""The dashboard as ``smsim up`` serves it, in a real Chromium: a reply counted on the
campaign's page, every SID, number and campaign a link to where it lives (the inbox's
message page and handset thread, the campaign), a Test SMS followed to its final status,
the 21608 hint linking the inbox's Accounts page, HTML 404s, Reset everything, and every
page usable at 400 px."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from browser_helpers import wait_for
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import alert_is_present
from up_helpers import UpStack, up_stack

HANDSET = "+14155550123"
MAIN_NUMBER = "+15005550006"


@pytest.fixture
def up() -> Iterator[UpStack]:
    with up_stack() as stack:
        yield stack


def text_of(driver: Any, element_id: str) -> str:
    return str(driver.find_element(By.ID, element_id).text)


def narrow_to_400(driver: Any) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 400, "height": 800, "deviceScaleFactor": 1, "mobile": False},
    )
    wait_for(driver, lambda d: d.execute_script("return window.innerWidth") == 400)


def page_width_fits(driver: Any) -> bool:
    return bool(
        driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth;")
    )


def send_campaign(up: UpStack, **extra: Any) -> dict[str, Any]:
    body = {"message": "Sale today", "recipients": [HANDSET], "provider": "main", **extra}
    campaign = up.api("POST", "/api/campaigns", json=body)
    up.api("GET", f"/api/campaigns/{campaign['id']}?wait=20")
    return campaign  # type: ignore[no-any-return]


def test_a_reply_to_main_is_counted_and_every_sid_number_and_campaign_is_a_link(
    browser: Any, up: UpStack
) -> None:
    campaign = send_campaign(up)
    up.control.inbound(HANDSET, MAIN_NUMBER, "STOP? no, YES")
    browser.get(f"{up.client.url}/campaigns/{campaign['id']}")
    wait_for(browser, lambda d: text_of(d, "s-replied") == "1", timeout=20)

    inbox = browser.find_element(By.LINK_TEXT, "Inbox ↗")  # the nav knows the inbox
    assert inbox.get_attribute("href") == up.sim.url + "/"

    browser.find_element(By.ID, "tab-recipients").click()
    wait_for(browser, lambda d: text_of(d, "r-total") == "1 recipient")
    (sent,) = up.control.messages(to=HANDSET)
    # Read and clicked in one step each: the live page re-renders the table every second.
    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('#recipients a'),"
        " a => [a.textContent, a.href]);"
    )
    assert [sent["sid"], f"{up.sim.url}/messages/{sent['sid']}"] in links
    assert [HANDSET, f"{up.sim.url}/conversations/%2B14155550123"] in links
    browser.execute_script("document.querySelector(\"#recipients a[href*='/messages/']\").click();")
    wait_for(browser, lambda d: d.current_url == f"{up.sim.url}/messages/{sent['sid']}")
    assert sent["sid"] in browser.page_source

    browser.get(f"{up.client.url}/campaigns/{campaign['id']}")
    browser.find_element(By.ID, "l-replied").click()  # the Replied tile opens its events
    wait_for(browser, lambda d: "Replied" in text_of(d, "events"))
    (replied,) = browser.find_elements(By.CSS_SELECTOR, "#events tbody tr")
    campaign_link = replied.find_element(By.CSS_SELECTOR, "a[href^='/campaigns/']")
    assert campaign_link.get_attribute("href").endswith(f"/campaigns/{campaign['id']}")
    assert replied.find_element(By.CSS_SELECTOR, "a[href*='/conversations/']").text == HANDSET


def test_send_test_sms_follows_the_message_to_delivered_and_links_its_sid(
    browser: Any, up: UpStack
) -> None:
    browser.get(up.client.url + "/test-sms")
    wait_for(browser, lambda d: "main" in text_of(d, "t-provider"))
    browser.find_element(By.ID, "t-mobile_number").send_keys(HANDSET[2:])
    browser.find_element(By.CSS_SELECTOR, "#test-sms-form button[type=submit]").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "result-sid"))
    sid = text_of(browser, "result-sid")
    href = browser.find_element(By.ID, "result-sid").get_attribute("href")
    assert href == f"{up.sim.url}/messages/{sid}"
    wait_for(
        browser,
        lambda d: d.find_element(By.ID, "result-status").get_attribute("data-final") == "true",
        timeout=30,
    )
    assert text_of(browser, "result-status") == "delivered"

    # The trial account's refusal links the inbox's Accounts page, where numbers are verified.
    browser.get(up.client.url + "/test-sms?provider=2")
    wait_for(browser, lambda d: "trial" in text_of(d, "t-provider"))
    browser.find_element(By.ID, "t-mobile_number").send_keys(HANDSET[2:])
    browser.find_element(By.CSS_SELECTOR, "#test-sms-form button[type=submit]").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "verify-link"))
    assert text_of(browser, "result-code") == "21608"
    link = browser.find_element(By.ID, "verify-link").get_attribute("href")
    assert link == up.sim.url + "/accounts"


def test_an_unknown_campaign_or_page_is_an_html_404(browser: Any, up: UpStack) -> None:
    pages = (
        ("/campaigns/999", "There is no campaign #999."),
        ("/providers/99/stats", "There is no provider #99."),
        ("/nope", "/nope"),
    )
    for path, words in pages:
        resp = requests.get(up.client.url + path, timeout=10)
        assert resp.status_code == 404 and resp.headers["Content-Type"].startswith("text/html")
        browser.get(up.client.url + path)
        assert words in text_of(browser, "not-found")
        assert not browser.find_elements(By.ID, "tiles")
    api = requests.get(up.client.url + "/api/campaigns/999", timeout=10)
    assert api.status_code == 404 and api.json()["error"]  # the API stays JSON


def test_reset_everything_asks_naming_what_goes_then_forgets_it(browser: Any, up: UpStack) -> None:
    send_campaign(up)
    browser.get(up.client.url + "/")
    wait_for(browser, lambda d: "trial" in text_of(d, "providers"))
    browser.find_element(By.ID, "reset-all").click()
    alert = wait_for(browser, alert_is_present())
    question = alert.text
    assert "2 providers (main, trial)" in question and "1 campaign " in question
    alert.dismiss()  # changing one's mind keeps everything
    assert len(up.api("GET", "/api/providers")["providers"]) == 2

    browser.find_element(By.ID, "reset-all").click()
    wait_for(browser, alert_is_present()).accept()
    wait_for(browser, lambda d: "No provider yet" in text_of(d, "providers"))
    assert up.api("GET", "/api/campaigns") == {"campaigns": []}
    cross_site = requests.post(
        up.client.url + "/api/reset",
        json={},
        headers={"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
        timeout=10,
    )
    assert cross_site.status_code == 403


def test_every_dashboard_page_fits_400_px_with_its_actions_reachable(
    browser: Any, up: UpStack
) -> None:
    campaign = send_campaign(up, click_tracking=True, name="a long campaign name " * 3)
    up.api(
        "POST",
        "/api/providers/main/test-sms",
        json={"country_code": "1", "mobile_number": "4155550199", "message": "x" * 300},
    )
    up.control.inbound(HANDSET, MAIN_NUMBER, "a reply with a long body " * 10)
    narrow_to_400(browser)
    pages = [
        "/",
        "/test-sms",
        "/campaigns",
        f"/campaigns/{campaign['id']}",
        "/providers/1/stats",
        "/events",
        "/campaigns/999",
    ]
    for path in pages:
        browser.get(up.client.url + path)
        wait_for(browser, lambda d: d.execute_script("return document.readyState") == "complete")
        wait_for(browser, lambda d: "Loading…" not in d.find_element(By.TAG_NAME, "main").text)
        assert page_width_fits(browser), path

    browser.get(up.client.url + "/")
    wait_for(browser, lambda d: "trial" in text_of(d, "providers"))
    for label in ("Edit", "Test SMS", "Stats"):
        for control in browser.find_elements(By.XPATH, f"//table[@id='providers']//*[.='{label}']"):
            box = control.rect
            assert control.is_displayed() and box["x"] >= 0 and box["x"] + box["width"] <= 400

    browser.get(f"{up.client.url}/campaigns/{campaign['id']}")
    browser.find_element(By.ID, "tab-chart").click()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#chart rect.bar"))
    assert page_width_fits(browser)
    label = browser.find_element(By.CSS_SELECTOR, "#chart text.period")
    assert label.rect["height"] >= 10  # readable, not scaled down to ~5 px
    browser.find_element(By.ID, "tab-recipients").click()
    wait_for(browser, lambda d: text_of(d, "r-total") == "1 recipient")
    assert page_width_fits(browser)
