"""Authentication is cached per account; every change to an account, its keys or its
status must still take effect on the very next request (the cache is invisible)."""

from __future__ import annotations

from typing import Any

import requests

TO = "+14155550100"
FROM = "+15005550006"


def _create(simulator: Any, account_sid: str, user: str, password: str) -> requests.Response:
    return requests.post(
        f"{simulator.url}/2010-04-01/Accounts/{account_sid}/Messages.json",
        data={"To": TO, "From": FROM, "Body": "cache test"},
        auth=(user, password),
        timeout=10,
    )


def test_suspend_refuses_the_next_create_after_a_cached_success(simulator, smsim_control):
    account = smsim_control.create_account("full")
    sid, token = account["sid"], account["auth_token"]
    assert _create(simulator, sid, sid, token).status_code == 201  # the account is cached

    smsim_control.suspend(sid)
    refused = _create(simulator, sid, sid, token)

    assert refused.status_code == 403
    assert refused.json()["code"] == 20005

    reactivated = requests.post(f"{simulator.url}/_smsim/accounts/{sid}/reactivate", timeout=10)
    assert reactivated.status_code == 200
    assert _create(simulator, sid, sid, token).status_code == 201


def test_closing_an_account_refuses_its_credentials_at_once(simulator, smsim_control):
    account = smsim_control.create_account("full")
    sid, token = account["sid"], account["auth_token"]
    assert _create(simulator, sid, sid, token).status_code == 201

    closed = requests.post(
        f"{simulator.url}/2010-04-01/Accounts/{sid}.json",
        data={"Status": "closed"},
        auth=(sid, token),
        timeout=10,
    )
    assert closed.status_code == 200
    refused = _create(simulator, sid, sid, token)

    assert refused.status_code == 401
    assert refused.json()["code"] == 20003


def test_a_wrong_password_is_refused_even_when_the_account_is_cached(simulator, smsim_control):
    account = smsim_control.create_account("full")
    sid, token = account["sid"], account["auth_token"]
    assert _create(simulator, sid, sid, token).status_code == 201

    refused = _create(simulator, sid, sid, token[:-1] + ("0" if token[-1] != "0" else "1"))

    assert refused.status_code == 401
    assert refused.json()["code"] == 20003


def test_an_api_key_works_at_once_and_follows_its_account_suspension(simulator, smsim_control):
    account = smsim_control.create_account("full")
    sid = account["sid"]
    refused = _create(simulator, sid, "SK" + "0" * 32, "nope")  # a miss is not cached
    assert refused.status_code == 401

    made = requests.post(f"{simulator.url}/_smsim/accounts/{sid}/keys", json={}, timeout=10)
    assert made.status_code in (200, 201)
    key_sid, secret = made.json()["sid"], made.json()["secret"]
    assert _create(simulator, sid, key_sid, secret).status_code == 201

    smsim_control.suspend(sid)
    suspended = _create(simulator, sid, key_sid, secret)

    assert suspended.status_code == 403
    assert suspended.json()["code"] == 20005


def test_a_reset_forgets_cached_accounts(simulator, smsim_control):
    account = smsim_control.create_account("full")
    sid, token = account["sid"], account["auth_token"]
    assert _create(simulator, sid, sid, token).status_code == 201

    smsim_control.reset()
    refused = _create(simulator, sid, sid, token)

    assert refused.status_code == 401
    assert refused.json()["code"] == 20003
