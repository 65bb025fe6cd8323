"""Twilio's order of checks: credentials first, then the route, then the method; a 405
names the methods the resource takes (``Allow``) on every surface."""

from __future__ import annotations

import pytest
import requests


def _auth(account):
    return (account["sid"], account["auth_token"])


def _base(simulator, account) -> str:
    return f"{simulator.url}/2010-04-01/Accounts/{account['sid']}"


@pytest.mark.parametrize(
    "path", ["/Nope.json", "/Messages/SM0123/Nothing.json", "/Calls.json", "/Messages.xml"]
)
def test_an_unknown_route_under_an_account_authenticates_first(simulator, twilio_account, path):
    url = _base(simulator, twilio_account) + path
    for auth in (None, (twilio_account["sid"], "wrong-token")):
        response = requests.get(url, auth=auth, timeout=5)
        assert response.status_code == 401, (auth, response.text)
        body = response.json()
        assert (body["code"], body["status"], body["message"]) == (20003, 401, "Authenticate")
    response = requests.get(url, auth=_auth(twilio_account), timeout=5)
    assert response.status_code == 404, response.text
    body = response.json()
    assert (body["code"], body["status"]) == (20404, 404)
    assert body["more_info"] == "https://www.twilio.com/docs/errors/20404"


def test_an_unknown_v1_route_authenticates_first(simulator, twilio_account):
    url = f"{simulator.url}/v1/Nope"
    assert requests.get(url, timeout=5).json()["code"] == 20003
    response = requests.get(url, auth=_auth(twilio_account), timeout=5)
    assert (response.status_code, response.json()["code"]) == (404, 20404)


def test_a_wrong_method_on_the_twilio_surface_is_401_then_405_with_allow(simulator, twilio_account):
    url = f"{_base(simulator, twilio_account)}/Messages.json"
    assert requests.put(url, timeout=5).status_code == 401
    response = requests.put(url, auth=_auth(twilio_account), timeout=5)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= {"GET", "POST"}
    body = response.json()
    assert (body["code"], body["status"]) == (20004, 405)
    assert body["more_info"] == "https://www.twilio.com/docs/errors/20004"
    response = requests.patch(
        f"{_base(simulator, twilio_account)}/Messages/SM{'0' * 32}.json",
        auth=_auth(twilio_account),
        timeout=5,
    )
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= {"GET", "POST", "DELETE"}


@pytest.mark.parametrize(
    ("path", "method", "allowed"),
    [
        ("/_smsim/rules", "PUT", {"GET", "POST", "DELETE"}),
        ("/_smsim/health", "POST", {"GET"}),
        ("/_smsim/clock/advance", "GET", {"POST"}),
        ("/_smsim/accounts", "PATCH", {"GET", "POST"}),
    ],
)
def test_a_wrong_method_on_the_control_api_is_405_with_allow(simulator, path, method, allowed):
    response = requests.request(method, simulator.url + path, timeout=5)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= allowed
    assert response.json()["status"] == 405


@pytest.mark.parametrize("path", ["/", "/outcomes", "/accounts", "/clock"])
def test_a_wrong_method_on_a_page_is_405_with_allow(simulator, path):
    response = requests.post(simulator.url + path, timeout=5)
    assert response.status_code == 405
    assert "GET" in {m.strip() for m in response.headers["Allow"].split(",")}
