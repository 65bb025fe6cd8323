"""The client's dashboard in a real Chromium: the Add SMS provider form's field errors,
Send Test SMS's 21608 hint, a campaign's live Stats tab (Errors, Delivered, CTR) and its
CSV export. Each test runs its own simulator (virtual clock) and client on free ports."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from browser_helpers import wait_for
from selenium.webdriver.common.by import By

from smsim.client import ClientConfig, ClientServer
from smsim.contracts import catalogue, replay
from smsim.contracts.segments import analyze
from smsim.testing import ControlClient

TWILIO_NUMBER = "+15017250604"
CATALOGUE_NUMBERS = [f"+1500555300{n}" for n in range(1, 9)]
NORMAL = ["+14155550101", "+14155550102", "+14155550103"]


@dataclass
class Stack:
    client: ClientServer
    control: ControlClient

    def api(self, method: str, path: str, **kw: Any) -> Any:
        resp = requests.request(method, self.client.url + path, timeout=30, **kw)
        assert resp.status_code < 300, resp.text
        return resp.json()

    def provider_for(self, account: dict[str, Any], **extra: Any) -> dict[str, Any]:
        settings = {
            "nickname": extra.pop("nickname", "main"),
            "account_sid": account["sid"],
            "auth_token": account["auth_token"],
            "from_numbers": [n["phone_number"] for n in account["numbers"]],
            **extra,
        }
        return self.api("POST", "/api/providers", json=settings)


@pytest.fixture
def stack(simulator: Any, smsim_control: ControlClient) -> Iterator[Stack]:
    config = ClientConfig(memory=True, twilio_base_url=simulator.url, account_id="acme")
    with ClientServer(config) as client:
        yield Stack(client, smsim_control)


def text_of(driver: Any, element_id: str) -> str:
    return str(driver.find_element(By.ID, element_id).text)


def narrow_to_400(driver: Any) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 400, "height": 800, "deviceScaleFactor": 1, "mobile": False},
    )
    wait_for(driver, lambda d: d.execute_script("return window.innerWidth") == 400)


def no_horizontal_scroll(driver: Any) -> bool:
    return bool(
        driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth;")
    )


def test_a_provider_with_a_mistake_shows_the_error_next_to_the_field_then_saves(
    browser: Any, stack: Stack
) -> None:
    account = stack.control.create_account("full", numbers=[TWILIO_NUMBER])
    browser.get(stack.client.url + "/")
    wait_for(browser, lambda d: "No provider yet" in text_of(d, "providers"))
    assert browser.find_element(By.ID, "f-callback_url").get_attribute("value") == (
        stack.client.url + "/sms/twilio"
    )
    browser.find_element(By.ID, "f-nickname").send_keys("main")
    browser.find_element(By.ID, "f-account_sid").send_keys("AC123")  # the mistake
    browser.find_element(By.ID, "f-auth_token").send_keys(account["auth_token"])
    browser.find_element(By.ID, "f-from_numbers").send_keys(TWILIO_NUMBER)
    callback = browser.find_element(By.ID, "f-callback_url")
    callback.clear()
    callback.send_keys("http://hooks.example/sms")
    browser.find_element(By.ID, "save-provider").click()

    wait_for(browser, lambda d: text_of(d, "err-account_sid") != "")
    assert "AC" in text_of(browser, "err-account_sid")
    sid_input = browser.find_element(By.ID, "f-account_sid")
    assert sid_input.get_attribute("aria-invalid") == "true"
    assert text_of(browser, "err-nickname") == ""
    assert stack.api("GET", "/api/providers") == {"providers": []}

    browser.find_element(By.ID, "restore-callback").click()  # the documented Restore button
    assert callback.get_attribute("value") == stack.client.url + "/sms/twilio"
    sid_input.clear()
    sid_input.send_keys(account["sid"])
    browser.find_element(By.ID, "save-provider").click()
    wait_for(browser, lambda d: account["sid"] in text_of(d, "providers"))
    assert text_of(browser, "err-account_sid") == ""
    row = text_of(browser, "providers")
    assert "main" in row and "default" in row and account["auth_token"] not in row
    assert "*" * 8 + account["auth_token"][-4:] in row
    saved = stack.api("GET", "/api/providers")["providers"]
    assert [(p["nickname"], p["account_sid"], p["callback_url_is_default"]) for p in saved] == [
        ("main", account["sid"], True)
    ]
    assert no_horizontal_scroll(browser)
    narrow_to_400(browser)  # on a phone: the form still fits, the table scrolls in its box
    assert no_horizontal_scroll(browser)
    save = browser.find_element(By.ID, "save-provider")
    assert save.location["x"] + save.size["width"] <= 400


def test_send_test_sms_to_an_unverified_number_of_a_trial_account_shows_21608_and_the_hint(
    browser: Any, stack: Stack
) -> None:
    trial = stack.control.create_account(
        "trial", numbers=[TWILIO_NUMBER], verified_numbers=[NORMAL[0]]
    )
    provider = stack.provider_for(trial, nickname="trial")
    browser.get(f"{stack.client.url}/test-sms?provider={provider['id']}")
    wait_for(browser, lambda d: "trial" in text_of(d, "t-provider"))
    browser.find_element(By.ID, "t-mobile_number").send_keys(NORMAL[1][2:])  # unverified
    browser.find_element(By.CSS_SELECTOR, "#test-sms-form button[type=submit]").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "test-result").is_displayed())
    wait_for(browser, lambda d: text_of(d, "result-code") != "")
    assert text_of(browser, "result-code") == "21608"
    assert text_of(browser, "result-description") == catalogue.describe(21608)
    hint = text_of(browser, "result-hint")
    assert "trial account" in hint and NORMAL[1] in hint

    # And the verified number goes through: a SID and a status.
    number = browser.find_element(By.ID, "t-mobile_number")
    number.clear()
    number.send_keys(NORMAL[0][2:])
    browser.find_element(By.CSS_SELECTOR, "#test-sms-form button[type=submit]").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "result-sid"))
    assert text_of(browser, "result-sid").startswith("SM")

    # A signed callback for a message this integration never sent: the provider's stats
    # count it and say in words where it comes from.
    who = replay.Identity(account_sid=trial["sid"], from_=TWILIO_NUMBER, to=NORMAL[2])
    callback = replay.status_request(
        stack.client.url + "/sms/twilio?account=acme", trial["auth_token"], who, None, code=30003
    )
    assert replay.send(callback).status_code == 200
    browser.get(f"{stack.client.url}/providers/{provider['id']}/stats")
    wait_for(browser, lambda d: d.find_elements(By.ID, "unattributed-text"))
    words = text_of(browser, "unattributed-text")
    assert words.startswith("1 verified status callback for this provider's Twilio account")
    assert "1 in Failed" in words and "30003" in words
    assert text_of(browser, "s-failed") == "2"  # the 21608 refusal and the stray callback

    # Events: what happened, with human-readable times and the ISO time on hover.
    browser.get(stack.client.url + "/events")
    wait_for(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#events tbody tr")) >= 2)
    rows = browser.find_elements(By.CSS_SELECTOR, "#events tbody tr")
    assert "Failed" in rows[0].text and "21608" in rows[0].text
    assert catalogue.require(21608).twilio_title in rows[0].text  # the same words everywhere
    assert "Sent" in rows[1].text
    stamp = rows[0].find_element(By.TAG_NAME, "time")
    assert stamp.get_attribute("title").endswith("Z") and stamp.text


def test_a_campaign_shows_live_every_error_with_its_description_delivered_and_ctr(
    browser: Any, stack: Stack, tmp_path: Path
) -> None:
    account = stack.control.create_account("full", numbers=[TWILIO_NUMBER])
    stack.provider_for(account)
    browser.get(stack.client.url + "/campaigns")
    wait_for(browser, lambda d: "main" in text_of(d, "c-provider"))

    # The live segment count agrees with the simulator's rules.
    bodies = ["hi", "x" * 160, "x" * 161, "€" * 80, "é" * 70, "ç" * 71, "👍" * 34, "[" * 77 + "x"]
    for body in bodies:
        js = browser.execute_script("return segments.analyze(arguments[0]);", body)
        expected = analyze(body)
        assert (js["encoding"], js["segments"]) == (expected.encoding, expected.num_segments), body

    message = browser.find_element(By.ID, "c-message")
    message.send_keys("Spring sale: https://shop.example.com/spring")
    assert "1 segment · GSM-7" in text_of(browser, "c-segments")
    recipients = CATALOGUE_NUMBERS + NORMAL
    audience = tmp_path / "audience.csv"  # uploaded, as a marketer exports it
    audience.write_text("name,phone\n" + "".join(f"customer,{n}\n" for n in recipients))
    browser.find_element(By.ID, "c-csv").send_keys(str(audience))
    wait_for(browser, lambda d: text_of(d, "c-count") == f"{len(recipients)} recipients")
    browser.find_element(By.ID, "c-click_tracking").click()
    browser.find_element(By.ID, "c-name").send_keys("spring")
    browser.find_element(By.CSS_SELECTOR, "#campaign-form button[type=submit]").click()
    wait_for(browser, lambda d: "/campaigns/" in d.current_url)
    campaign_id = int(browser.current_url.rsplit("/", 1)[1])
    wait_for(browser, lambda d: text_of(d, "s-sent") == str(len(recipients)), timeout=20)
    assert text_of(browser, "s-delivered") == "0"

    # Time passes at the simulator; the open page follows without a reload.
    stack.control.run_until_idle()
    codes = [30000 + n for n in range(1, 9)]
    wait_for(
        browser,
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#errors tbody tr[data-code]")) == 8,
        timeout=15,
    )
    rows = {
        int(r.get_attribute("data-code")): r.text
        for r in browser.find_elements(By.CSS_SELECTOR, "#errors tbody tr[data-code]")
    }
    assert sorted(rows) == codes
    for code in codes:  # CleverTap's words and Twilio's title, each labelled
        entry = catalogue.require(code)
        words = rows[code].splitlines()
        assert words[-1] == "1", rows[code]
        if entry.seed_description == entry.twilio_title:
            assert f"CleverTap · Twilio {entry.twilio_title}" in words
        else:
            assert f"Twilio {entry.twilio_title}" in words
            if entry.seed_description:
                assert f"CleverTap {entry.seed_description}" in words
    assert text_of(browser, "s-delivered") == str(len(NORMAL))
    assert text_of(browser, "s-failed") == "8"
    assert (
        browser.find_element(By.ID, "l-failed")
        .get_attribute("textContent")
        .startswith("Failed or undelivered")
    )
    assert text_of(browser, "s-ctr") == "0%"
    statuses = {m["status"] for m in stack.control.messages() if m["to"] in CATALOGUE_NUMBERS}
    assert statuses == {"failed", "undelivered"}  # the tile counts both...
    browser.find_element(By.CSS_SELECTOR, "#l-failed button").click()
    wait_for(
        browser, lambda d: text_of(d, "r-total") == "8 recipients"
    )  # ...and so does its filter
    browser.find_element(By.ID, "tab-errors").click()

    # A handset opens its tracked link: Clicked and CTR follow, live.
    body = stack.control.messages(to=NORMAL[0])[0]["body"]
    link = next(word for word in body.split() if word.startswith(stack.client.url + "/c/"))
    assert requests.get(link, allow_redirects=False, timeout=10).status_code == 302
    wait_for(browser, lambda d: text_of(d, "s-clicked") == "1", timeout=15)
    assert text_of(browser, "s-ctr") == "33.3%"
    assert no_horizontal_scroll(browser)

    # Recipients tab, filtered by a code from the Errors tab; the CSV has every recipient.
    browser.find_element(By.CSS_SELECTOR, "#errors tr[data-code='30005'] button").click()
    wait_for(browser, lambda d: text_of(d, "r-total") == "1 recipient")
    assert "+15005553005" in text_of(browser, "recipients")
    browser.find_element(By.ID, "r-code").clear()
    browser.find_element(By.CSS_SELECTOR, "#recipient-filters button[type=submit]").click()
    wait_for(browser, lambda d: text_of(d, "r-total") == f"{len(recipients)} recipients")
    href = browser.find_element(By.ID, "csv-export").get_attribute("href")
    assert href == f"{stack.client.url}/api/campaigns/{campaign_id}/messages.csv"
    exported = requests.get(href, timeout=10)
    assert exported.headers["Content-Type"].startswith("text/csv")
    rows_csv = list(csv.DictReader(io.StringIO(exported.text)))
    assert sorted(r["recipient"] for r in rows_csv) == sorted(recipients)
    by_number = {r["recipient"]: r for r in rows_csv}
    assert by_number["+15005553005"]["error_code"] == "30005"
    assert by_number[NORMAL[0]]["status"] == "delivered"

    narrow_to_400(browser)
    assert no_horizontal_scroll(browser)
    tile = browser.find_element(By.ID, "s-ctr")
    assert tile.is_displayed() and tile.location["x"] + tile.size["width"] <= 400


RECIPIENT_TEXTS = [
    "+14155550101\nnot-a-number\n12",
    'name,phone\n"Ann","+1 (415) 555-0100"\nBob,14155550101\n\n+447700900123\n',
    "phone\r\n+14155550101\r\nnot-a-phone\r\n;;\r\n12,Bob\r\n",
    "not-a-number\n+14155550101",
    "+14155550101, +14155550102; 4155550103\t+44 7700 900123",
]


def test_the_form_reads_recipients_by_the_same_rules_as_the_cli(browser: Any, stack: Stack) -> None:
    from smsim.client.recipients import parse

    browser.get(stack.client.url + "/campaigns")
    wait_for(browser, lambda d: d.execute_script("return !!window.recipients"))
    for text in RECIPIENT_TEXTS:
        js = browser.execute_script("return recipients.parse(arguments[0]);", text)
        py = parse(text)
        assert js["numbers"] == py.numbers, text
        assert [(b["line"], b["value"]) for b in js["invalid"]] == [
            (b.line, b.value) for b in py.invalid
        ], text
        assert js["header"] == py.header, text


def test_lines_that_are_not_numbers_are_named_before_sending_and_skipped_only_by_choice(
    browser: Any, stack: Stack
) -> None:
    account = stack.control.create_account("full", numbers=[TWILIO_NUMBER])
    stack.provider_for(account, template_id_required=True)
    browser.get(stack.client.url + "/campaigns")
    wait_for(browser, lambda d: "main" in text_of(d, "c-provider"))
    browser.find_element(By.ID, "c-recipients").send_keys("+14155550101\nnot-a-number\n12")
    wait_for(browser, lambda d: d.find_element(By.ID, "c-invalid").is_displayed())
    assert text_of(browser, "c-count") == "1 recipient"
    listed = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#c-invalid-list li")]
    assert listed == ["line 2: not-a-number", "line 3: 12"]

    # Sent as is (no message, no template): every field's mistake at once, nothing sent.
    browser.find_element(By.CSS_SELECTOR, "#campaign-form button[type=submit]").click()
    wait_for(browser, lambda d: text_of(d, "err-message") != "")
    assert "line 2: not-a-number" in text_of(browser, "err-recipients")
    assert "line 3: 12" in text_of(browser, "err-recipients")
    assert text_of(browser, "err-template_id") != ""
    assert stack.api("GET", "/api/campaigns") == {"campaigns": []}

    # The user chooses to send to the rest.
    browser.find_element(By.ID, "c-message").send_keys("hello")
    browser.find_element(By.ID, "c-template_id").send_keys("T1")
    browser.find_element(By.ID, "c-skip_invalid").click()
    assert "Skip 2 lines and send to the 1 valid number" in text_of(browser, "c-invalid")
    browser.find_element(By.CSS_SELECTOR, "#campaign-form button[type=submit]").click()
    wait_for(browser, lambda d: "/campaigns/" in d.current_url)
    (campaign,) = stack.api("GET", "/api/campaigns")["campaigns"]
    assert campaign["targeted"] == 1
