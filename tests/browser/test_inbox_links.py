"""The inbox as a person moves through it: a row opens its message, every SID, number and
campaign links to where it lives, a message's raw JSON, the count of new messages in a
hidden tab's title, the first-message hint, an HTML 404 page and Reset everything."""

from __future__ import annotations

import json
import shlex
import subprocess

import pytest
import requests
from browser_helpers import wait_for
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from smsim.simulator.config import SimulatorConfig

NUMBER = "+14155550100"
HANDSET = "+14155550123"
DASHBOARD = "http://127.0.0.1:9/"
META = "12.345.1691686363.20230810.0.3"  # campaign 12, message 345, provider 3


@pytest.fixture
def smsim_config() -> SimulatorConfig:
    return SimulatorConfig(
        memory=True, port=0, clock="virtual", threads=8, webhook_workers=8, dashboard_url=DASHBOARD
    )


def _send(twilio_client, to: str = HANDSET, **extra) -> str:
    return twilio_client.messages.create(to=to, from_=NUMBER, body="hello", **extra).sid


def test_a_click_anywhere_on_a_row_opens_the_message_and_the_number_its_thread(
    browser, simulator, twilio_client
) -> None:
    sid = _send(twilio_client)
    browser.get(simulator.url + "/")
    row = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f'tr[data-sid="{sid}"]'))[0]
    row.find_element(By.CSS_SELECTOR, "td.body").click()
    wait_for(browser, lambda d: d.current_url.endswith(f"/messages/{sid}"))

    browser.back()
    row = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f'tr[data-sid="{sid}"]'))[0]
    row.find_element(By.CSS_SELECTOR, "td.to a").click()
    wait_for(browser, lambda d: "/conversations/" in d.current_url)
    assert HANDSET in browser.find_element(By.TAG_NAME, "h1").text

    browser.back()
    row = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f'tr[data-sid="{sid}"]'))[0]
    assert (
        row.find_element(By.CSS_SELECTOR, "td.from a")
        .get_attribute("href")
        .endswith("/?number=%2B14155550100")
    )
    # The keyboard: Tab reaches the row, Enter opens it.
    browser.execute_script("arguments[0].focus()", row)
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    wait_for(browser, lambda d: d.current_url.endswith(f"/messages/{sid}"))


def test_message_page_links_the_account_the_campaign_and_shows_raw_json(
    browser, simulator, twilio_client, twilio_account, smsim_control
) -> None:
    callback = f"http://127.0.0.1:9/sms/twilio?account=ACME&meta={META}"
    sid = _send(twilio_client, "+15005553007", status_callback=callback)  # fails with 30007
    smsim_control.run_until_idle()
    browser.get(f"{simulator.url}/messages/{sid}")

    nav = browser.find_element(By.CSS_SELECTOR, "nav.nav")
    assert nav.find_element(By.LINK_TEXT, "Dashboard ↗").get_attribute("href") == DASHBOARD
    fields = browser.find_element(By.ID, "fields")
    campaign = fields.find_element(By.PARTIAL_LINK_TEXT, "Campaign 12")
    assert campaign.get_attribute("href") == "http://127.0.0.1:9/campaigns/12"
    account = fields.find_element(By.PARTIAL_LINK_TEXT, twilio_account["sid"])
    assert account.get_attribute("href").endswith("/accounts#" + twilio_account["sid"])
    # One code, both descriptions, each labelled with whose it is.
    error = fields.text
    assert "CleverTap: Carrier violation" in error and "Twilio: Message filtered" in error
    # Redeliver offers the client's receiver, with the message's attribution.
    offered = browser.find_element(By.ID, "redeliver-url").get_attribute("value")
    assert offered == f"http://127.0.0.1:9/sms/twilio?account=ACME&meta={META}"

    # Retry settings in words, from the URL's fragment or Twilio's defaults.
    assert browser.find_element(By.ID, "policy").text.startswith(
        "A failed callback is tried again once when the receiver cannot be reached."
    )

    browser.find_element(By.CSS_SELECTOR, "#raw summary").click()
    raw = browser.find_element(By.ID, "raw-json").text
    assert f'"sid": "{sid}"' in raw and '"error_code": 30007' in raw

    account.click()
    article = wait_for(browser, lambda d: d.find_elements(By.ID, twilio_account["sid"]))[0]
    assert article.is_displayed()


def test_unknown_message_is_an_html_404_page(browser, simulator) -> None:
    answer = requests.get(f"{simulator.url}/messages/SMdoesnotexist", timeout=10)
    assert answer.status_code == 404 and answer.headers["Content-Type"].startswith("text/html")
    browser.get(f"{simulator.url}/messages/SMdoesnotexist")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Nothing here"
    assert "/messages/SMdoesnotexist" in browser.find_element(By.ID, "main").text
    browser.find_element(By.LINK_TEXT, "All messages").click()
    wait_for(browser, lambda d: d.current_url == simulator.url + "/")


def test_hidden_tab_title_counts_new_messages(browser, simulator, twilio_client) -> None:
    _send(twilio_client)
    browser.get(simulator.url + "/")
    wait_for(browser, lambda d: d.find_element(By.ID, "live").text == "● live")
    browser.minimize_window()  # the tab is hidden, as behind another window
    wait_for(browser, lambda d: d.execute_script("return document.visibilityState") == "hidden")
    _send(twilio_client, "+14155550124")
    _send(twilio_client, "+14155550125")
    wait_for(browser, lambda d: d.title.startswith("(2) Messages"))
    browser.set_window_size(1280, 800)  # back in front: the count goes
    wait_for(browser, lambda d: d.title.startswith("Messages"))


def test_empty_inbox_shows_a_curl_line_that_sends_the_first_message(
    browser, simulator, smsim_control
) -> None:
    browser.get(simulator.url + "/")
    shown = browser.find_element(By.ID, "first-send").text
    assert simulator.url in shown
    first = next(a for a in smsim_control.accounts() if a["sid"] in shown)
    assert first["auth_token"] not in shown  # masked on screen, as on the Accounts page
    hint = browser.find_element(By.ID, "copy-first-send").get_attribute("data-copy-command")
    assert hint == shown.replace("•" * 8 + first["auth_token"][-4:], first["auth_token"])
    wait_for(browser, lambda d: d.find_element(By.ID, "live").text == "● live")
    done = subprocess.run(shlex.split(hint), capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done
    assert json.loads(done.stdout)["status"] == "queued", done.stdout
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#rows tr"))
    assert not browser.find_element(By.ID, "empty").is_displayed()


def test_reset_everything_names_what_goes_and_empties_the_simulator(
    browser, simulator, smsim_control, twilio_client, twilio_account
) -> None:
    _send(twilio_client)
    browser.get(simulator.url + "/accounts")
    wait_for(browser, lambda d: d.find_elements(By.ID, twilio_account["sid"]))
    browser.find_element(By.ID, "reset-everything").click()
    alert = wait_for(browser, lambda d: d.switch_to.alert)
    for named in ("account", "message", "rule", "webhook attempt"):
        assert named in alert.text
    alert.dismiss()
    assert any(a["sid"] == twilio_account["sid"] for a in smsim_control.accounts())

    browser.find_element(By.ID, "reset-everything").click()
    wait_for(browser, lambda d: d.switch_to.alert).accept()
    wait_for(browser, lambda d: not d.find_elements(By.ID, twilio_account["sid"]))
    assert all(a["sid"] != twilio_account["sid"] for a in smsim_control.accounts())
    assert requests.get(f"{simulator.url}/_smsim/messages", timeout=10).json()["messages"] == []
