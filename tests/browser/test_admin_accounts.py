"""The Accounts page in a real browser: a new user makes the trial account usable from this
page alone, credentials stay masked until asked for, suspension really stops sending, an
API key's secret is shown once, and names are shown as text."""

from __future__ import annotations

import pytest
import requests
from browser_helpers import wait_for
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from smsim.simulator.config import SimulatorConfig
from smsim.simulator.server import SimulatorServer
from smsim.testing import ControlClient

NUMBER = "+14155550177"
HANDSET = "+12125550123"
XSS = "<script>alert(1)</script>"


def _article(browser, sid: str):
    return browser.find_element(By.CSS_SELECTOR, f'article[data-account-sid="{sid}"]')


def _article_text(browser, sid: str) -> str:
    """The account's text read in one step (the page re-renders an account after each change)."""
    return browser.execute_script(
        "const a = document.querySelector(`article[data-account-sid='${arguments[0]}']`);"
        "return a ? a.innerText : '';",
        sid,
    )


def _account(smsim_control, sid: str) -> dict:
    return next(a for a in smsim_control.accounts() if a["sid"] == sid)


def _open(browser, simulator) -> None:
    browser.get(simulator.url + "/accounts")
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "article.account"))


def _type_and_enter(browser, element_id: str, text: str) -> None:
    box = browser.find_element(By.ID, element_id)
    box.clear()
    box.send_keys(text, Keys.ENTER)


def _send(simulator, sid: str, token: str, to: str) -> requests.Response:
    return requests.post(
        f"{simulator.url}/2010-04-01/Accounts/{sid}/Messages.json",
        data={"To": to, "From": NUMBER, "Body": "hello"},
        auth=(sid, token),
        timeout=5,
    )


def test_trial_account_is_made_usable_from_the_accounts_page_alone(
    browser, simulator, smsim_control, callback_recorder
) -> None:
    trial_sid = next(a["sid"] for a in smsim_control.accounts() if a["type"] == "trial")
    _open(browser, simulator)
    article = _article(browser, trial_sid)
    assert "To send from this trial account" in article.text

    # The credentials come from the page too: Reveal shows the token to copy.
    article.find_element(By.CSS_SELECTOR, "[aria-controls$='-token']").click()
    token = browser.find_element(By.ID, f"{trial_sid}-token").text
    assert len(token) == 32

    _type_and_enter(browser, f"{trial_sid}-add-number-phone_number", NUMBER)
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f'li[data-number="{NUMBER}"]'))
    refused = _send(simulator, trial_sid, token, HANDSET)
    assert refused.status_code == 400 and refused.json()["code"] == 21608

    _type_and_enter(browser, f"{trial_sid}-add-verified-phone_number", HANDSET)
    wait_for(browser, lambda d: "Ready" in _article_text(d, trial_sid))
    sent = _send(simulator, trial_sid, token, HANDSET)
    assert sent.status_code == 201, sent.text
    smsim_control.run_until_idle()
    assert smsim_control.messages(sid=sent.json()["sid"])[0]["status"] == "delivered"

    # The number's inbound webhook is set here as well, method included.
    number_sid = _account(smsim_control, trial_sid)["numbers"][0]["sid"]
    form_id = f"{trial_sid}-num-{number_sid}"
    browser.find_element(By.ID, f"{form_id}-sms_method").send_keys("GET")
    _type_and_enter(browser, f"{form_id}-sms_url", callback_recorder.url("/sms"))
    wait_for(browser, lambda d: "Saved" in d.find_element(By.ID, "flash").text)
    number = _account(smsim_control, trial_sid)["numbers"][0]
    assert (number["sms_url"], number["sms_method"]) == (callback_recorder.url("/sms"), "GET")
    smsim_control.inbound(HANDSET, NUMBER, "hi back")
    smsim_control.run_until_idle()
    assert [(r.method, r.path) for r in callback_recorder.requests] == [("GET", "/sms")]


def test_a_bad_sms_url_is_refused_next_to_its_field(browser, simulator, twilio_account) -> None:
    sid = twilio_account["sid"]
    number_sid = twilio_account["numbers"][0]["sid"]
    _open(browser, simulator)
    form_id = f"{sid}-num-{number_sid}"
    _type_and_enter(browser, f"{form_id}-sms_url", "ftp://nowhere")
    error = f'#{form_id} [data-error-for="sms_url"]'
    wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, error).text != "")
    assert "not a valid http(s) URL" in browser.find_element(By.CSS_SELECTOR, error).text
    _type_and_enter(browser, f"{sid}-add-number-phone_number", "not a number")
    # The add-number route reads numbers as account specs do: the error names the field.
    error = f'#{sid}-add-number [data-error-for="phone_number"]'
    wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, error).text != "")
    assert "is not a phone number" in browser.find_element(By.CSS_SELECTOR, error).text


def test_token_is_masked_until_reveal_and_suspend_then_reactivate_changes_the_api(
    browser, simulator, smsim_control, twilio_account, twilio_client
) -> None:
    sid, token = twilio_account["sid"], twilio_account["auth_token"]
    _open(browser, simulator)
    token_node = browser.find_element(By.ID, f"{sid}-token")
    assert set(token_node.text) == {"\u2022"}
    assert token not in browser.page_source

    reveal = _article(browser, sid).find_element(By.CSS_SELECTOR, f"[aria-controls='{sid}-token']")
    reveal.click()
    assert token_node.text == token and reveal.get_attribute("aria-pressed") == "true"
    reveal.click()
    assert token not in token_node.text

    queued = twilio_client.messages.create(to=HANDSET, from_="+14155550100", body="waiting")
    browser.find_element(By.ID, f"{sid}-status-action").click()
    wait_for(browser, lambda d: d.switch_to.alert).accept()
    wait_for(browser, lambda d: "suspended" in _article_text(d, sid))
    assert twilio_client.messages(queued.sid).fetch().error_code == 30002
    with pytest.raises(TwilioRestException) as refused:
        twilio_client.messages.create(to=HANDSET, from_="+14155550100", body="refused")
    assert (refused.value.status, refused.value.code) == (403, 20005)

    browser.find_element(By.ID, f"{sid}-status-action").click()  # now "Reactivate"
    wait_for(browser, lambda d: "Suspend" in _article_text(d, sid))
    assert "active" in _article_text(browser, sid)
    again = twilio_client.messages.create(to=HANDSET, from_="+14155550100", body="back")
    assert again.status == "queued"


def test_api_key_secret_is_shown_once_and_names_are_text(browser, simulator, smsim_control) -> None:
    account = smsim_control.create_account("full", friendly_name=XSS)
    sid = account["sid"]
    _open(browser, simulator)
    assert browser.find_element(By.ID, f"{sid}-name").text == XSS
    assert browser.find_elements(By.CSS_SELECTOR, "#accounts script") == []

    _type_and_enter(browser, f"{sid}-add-key-friendly_name", XSS)
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".key-secret"))
    secret = browser.find_element(By.CSS_SELECTOR, ".key-secret").text
    key_sid = smsim_control._call("GET", f"/accounts/{sid}/keys")["keys"][0]["sid"]
    client = Client(key_sid, secret, sid, environment={})
    client.api.base_url = simulator.url
    assert client.messages.list() == []  # the secret shown is the one that authenticates
    assert XSS in _article_text(browser, sid)

    browser.refresh()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f"#{sid}-add-key"))
    assert secret not in browser.page_source
    assert key_sid in _article_text(browser, sid)
    try:
        browser.switch_to.alert.dismiss()
        raise AssertionError("a name ran as a script")
    except NoAlertPresentException:
        pass


def test_the_page_reads_and_writes_behind_a_control_token(browser) -> None:
    """Opened once with ?token=, the page's own calls carry the cookie the server gave."""
    token = "admin-page-token"
    config = SimulatorConfig(memory=True, port=0, clock="virtual", control_token=token)
    with SimulatorServer(config) as sim:
        control = ControlClient(sim.url)
        control.session.headers["X-Smsim-Control-Token"] = token
        trial_sid = next(a["sid"] for a in control.accounts() if a["type"] == "trial")

        browser.get(f"{sim.url}/accounts?token={token}")
        wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "article.account"))
        _type_and_enter(browser, f"{trial_sid}-add-verified-phone_number", HANDSET)
        wait_for(browser, lambda d: HANDSET in _article_text(d, trial_sid))

        assert _account(control, trial_sid)["verified_numbers"] == [HANDSET]
