"""Redelivery in a real browser: callbacks lost to a dead URL, then "Redeliver all lost"
to a receiver that has since been fixed, which checks every signature."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest
from browser_helpers import wait_for
from selenium.webdriver.common.by import By
from twilio.request_validator import RequestValidator

NUMBER = "+14155550100"
DEAD = "http://127.0.0.1:9/status"


class SigningReceiver:
    """A tiny real HTTP receiver on port 0 that answers 204 to a request whose
    X-Twilio-Signature verifies with ``auth_token`` for the URL it was sent to, else 403."""

    def __init__(self, auth_token: str) -> None:
        validator = RequestValidator(auth_token)
        self.received: list[tuple[str, dict[str, str], bool]] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                params = dict(parse_qsl(self.rfile.read(length).decode("utf-8")))
                url = f"http://{self.headers['Host']}{self.path}"
                valid = validator.validate(url, params, self.headers.get("X-Twilio-Signature", ""))
                with receiver.arrived:
                    receiver.received.append((url, params, valid))
                    receiver.arrived.notify_all()
                self.send_response(204 if valid else 403)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/fixed"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[tuple[str, dict[str, str], bool]]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    def __enter__(self) -> SigningReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def account(smsim_control) -> dict:
    return smsim_control.create_account("full", numbers=[NUMBER])


def _send(twilio, to: str, body: str) -> str:
    return twilio.messages.create(to=to, from_=NUMBER, body=body, status_callback=DEAD).sid


def _lost_count(smsim_control) -> int:
    return len([a for a in smsim_control.callbacks() if a["never_delivered"]])


def test_redeliver_all_lost_to_a_fixed_receiver_with_valid_signatures(
    browser, simulator, smsim_control, account
) -> None:
    from twilio.rest import Client

    twilio = Client(account["sid"], account["auth_token"], environment={})
    twilio.api.base_url = simulator.url
    sids = [_send(twilio, "+14155550123", "one"), _send(twilio, "+14155550124", "two")]
    smsim_control.run_until_idle()
    assert _lost_count(smsim_control) == 4  # sent and delivered, of each

    browser.get(simulator.url + "/")
    wait_for(browser, lambda d: d.find_element(By.ID, "lost-box").is_displayed())
    assert browser.find_element(By.ID, "lost-link").text == "4 callbacks never delivered"
    with SigningReceiver(account["auth_token"]) as receiver:
        browser.find_element(By.ID, "redeliver-url").send_keys(receiver.url)
        browser.find_element(By.ID, "redeliver-lost").click()
        received = receiver.wait_for(4)
        wait_for(browser, lambda d: not d.find_element(By.ID, "lost-box").is_displayed())
    assert len(received) == 4
    assert all(valid for _, _, valid in received), received
    assert sorted(params["MessageSid"] for _, params, _ in received) == sorted(sids * 2)
    assert sorted(params["MessageStatus"] for _, params, _ in received) == [
        "delivered",
        "delivered",
        "sent",
        "sent",
    ]
    assert "4 answered 2xx" in browser.find_element(By.ID, "flash").text
    assert _lost_count(smsim_control) == 0


def test_message_page_redelivers_its_lost_callbacks_and_one_attempt_elsewhere(
    browser, simulator, smsim_control, account
) -> None:
    from twilio.rest import Client

    twilio = Client(account["sid"], account["auth_token"], environment={})
    twilio.api.base_url = simulator.url
    sid = _send(twilio, "+14155550123", "one")
    other = _send(twilio, "+14155550124", "two")
    smsim_control.run_until_idle()

    browser.get(f"{simulator.url}/messages/{sid}")
    box = wait_for(browser, lambda d: d.find_element(By.ID, "lost-box"))
    assert box.is_displayed() and "2 callbacks were never delivered" in box.text
    field = browser.find_element(By.ID, "redeliver-url")
    assert field.get_attribute("value") == DEAD  # pre-filled with the message's own URL
    # Attempts are numbered through the whole message: sent x2, then delivered x2.
    numbers = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".attempt-number")]
    assert numbers == ["Attempt 1", "Attempt 2", "Attempt 3", "Attempt 4"]

    with SigningReceiver(account["auth_token"]) as receiver:
        # One attempt to a bad URL first: the field error names it, nothing is sent.
        first = browser.find_elements(By.CSS_SELECTOR, "#attempts .attempt")[0]
        first.find_element(By.CSS_SELECTOR, "button.redeliver-elsewhere").click()
        target = first.find_element(By.CSS_SELECTOR, ".redeliver-to input")
        target.clear()
        target.send_keys("ftp://nowhere/x")
        first.find_element(By.CSS_SELECTOR, ".redeliver-to button").click()
        error = first.find_element(By.CSS_SELECTOR, '.redeliver-to [data-error-for="url"]')
        wait_for(browser, lambda d: error.text != "")
        assert "http(s)" in error.text

        field.clear()
        field.send_keys(receiver.url)
        browser.find_element(By.ID, "redeliver-lost").click()
        received = receiver.wait_for(2)
        wait_for(browser, lambda d: not d.find_element(By.ID, "lost-box").is_displayed())
        wait_for(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".attempt")) == 6)
    assert [valid for _, _, valid in received] == [True, True]
    assert {params["MessageSid"] for _, params, _ in received} == {sid}
    newest = browser.find_elements(By.CSS_SELECTOR, "#attempts .attempt")[-1]
    assert "Attempt 6" in newest.text and "webhook answered 204" in newest.text
    # The other message's callbacks are still lost.
    assert {a["message_sid"] for a in smsim_control.callbacks() if a["never_delivered"]} == {other}
