"""A web page on another origin must not change a server's state through the browser.

Browsers send ``Origin`` and ``Sec-Fetch-Site`` on a cross-site form POST; scripts, SDKs
and curl send neither. Each refused request here is one a page could make with a plain
``<form>`` (no preflight), and each test checks that nothing stored was lost.
"""

from __future__ import annotations

import pytest
from security_helpers import (
    EVIL_ORIGIN,
    TIMEOUT,
    add_provider,
    control_state,
    http,
    seed_state,
)

FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("headers", "body", "content_type"),
    [
        ({"Origin": EVIL_ORIGIN}, "a=1", FORM),
        ({"Sec-Fetch-Site": "cross-site"}, '{"x": "=y"}', "text/plain"),
        ({"Origin": EVIL_ORIGIN, "Sec-Fetch-Site": "cross-site"}, "", FORM),
        ({"Origin": "null"}, "a=1", FORM),  # sandboxed frames, file:// pages
        # Another port of the same host is "same-site", and still another origin.
        ({"Sec-Fetch-Site": "same-site"}, "", FORM),
    ],
    ids=["origin-form", "fetch-site-text-plain", "both-empty-body", "origin-null", "same-site"],
)
def test_cross_site_reset_is_refused_and_nothing_is_lost(sim, headers, body, content_type):
    seed_state(sim)
    before = control_state(sim)

    with http() as session:
        response = session.post(
            f"{sim.url}/_smsim/reset",
            data=body,
            headers={**headers, "Content-Type": content_type},
            timeout=TIMEOUT,
        )

    assert response.status_code == 403
    error = response.json()
    assert set(error) == {"code", "message", "more_info", "status"}
    assert error["status"] == 403 and "Cross-site request refused" in error["message"]
    assert control_state(sim) == before
    assert len(before["messages"]) == 1 and len(before["rules"]) == 1


def test_a_foreign_origin_on_another_port_of_localhost_is_refused(sim):
    before = control_state(sim)
    with http() as session:
        response = session.post(
            f"{sim.url}/_smsim/reset",
            headers={"Origin": f"http://127.0.0.1:{sim.port + 1}"},
            timeout=TIMEOUT,
        )
    assert response.status_code == 403
    assert control_state(sim) == before


def test_cross_site_suspend_and_create_account_are_refused(sim):
    account = seed_state(sim)
    before = control_state(sim)
    cross = {"Origin": EVIL_ORIGIN, "Sec-Fetch-Site": "cross-site"}

    with http() as session:
        suspend = session.post(
            f"{sim.url}/_smsim/accounts/{account['sid']}/suspend", headers=cross, timeout=TIMEOUT
        )
        create = session.post(
            f"{sim.url}/_smsim/accounts",
            data="type=trial",
            headers={**cross, "Content-Type": FORM},
            timeout=TIMEOUT,
        )
        delete_rules = session.delete(f"{sim.url}/_smsim/rules", headers=cross, timeout=TIMEOUT)

    assert (suspend.status_code, create.status_code, delete_rules.status_code) == (403, 403, 403)
    after = control_state(sim)
    assert after == before
    assert next(a for a in after["accounts"] if a["sid"] == account["sid"])["status"] == "active"


def test_same_origin_browser_requests_and_header_less_scripts_pass(sim):
    seed_state(sim)
    own_origin = sim.url
    with http() as session:
        browser_like = session.post(
            f"{sim.url}/_smsim/accounts",
            json={"type": "trial"},
            headers={"Origin": own_origin, "Sec-Fetch-Site": "same-origin"},
            timeout=TIMEOUT,
        )
        typed_in_address_bar = session.post(
            f"{sim.url}/_smsim/clock/run-until-idle",
            headers={"Sec-Fetch-Site": "none"},
            timeout=TIMEOUT,
        )
        # The default port is implied when an Origin leaves it out.
        script = session.post(f"{sim.url}/_smsim/reset", timeout=TIMEOUT)

    assert browser_like.status_code == 201 and browser_like.json()["type"] == "trial"
    assert typed_in_address_bar.status_code == 200
    assert script.status_code == 200 and script.json()["status"] == "reset"
    assert control_state(sim)["messages"] == []


def test_the_twilio_api_stays_open_to_any_origin_with_basic_auth(sim):
    """The SDK surface authenticates every request itself; a page cannot know the token."""
    account = seed_state(sim)
    with http() as session:
        created = session.post(
            f"{sim.url}/2010-04-01/Accounts/{account['sid']}/Messages.json",
            data={"To": "+14155550198", "From": "+14155550111", "Body": "hi"},
            auth=(account["sid"], account["auth_token"]),
            headers={"Origin": EVIL_ORIGIN, "Sec-Fetch-Site": "cross-site"},
            timeout=TIMEOUT,
        )
        no_auth = session.post(
            f"{sim.url}/2010-04-01/Accounts/{account['sid']}/Messages.json",
            data={"To": "+14155550198", "From": "+14155550111", "Body": "hi"},
            headers={"Origin": EVIL_ORIGIN},
            timeout=TIMEOUT,
        )
    assert created.status_code == 201
    assert no_auth.status_code == 401 and no_auth.json()["code"] == 20003


def test_client_restore_callback_cross_site_is_refused_and_the_url_kept(start_client):
    client = start_client()
    provider = add_provider(client)
    assert provider["callback_url"] == "https://hooks.example.com/custom"
    url = f"{client.url}/api/providers/{provider['id']}/restore-callback"

    with http() as session:
        refused = [
            session.post(url, headers=headers, data="", timeout=TIMEOUT)
            for headers in (
                {"Origin": EVIL_ORIGIN, "Content-Type": FORM},
                {"Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"},
                {"Sec-Fetch-Site": "same-site"},
            )
        ]
        kept = session.get(f"{client.url}/api/providers/{provider['id']}", timeout=TIMEOUT).json()
        same_origin = session.post(
            url, headers={"Origin": client.url, "Sec-Fetch-Site": "same-origin"}, timeout=TIMEOUT
        )

    assert [r.status_code for r in refused] == [403, 403, 403]
    assert all("Cross-site request refused" in r.json()["error"] for r in refused)
    assert kept["callback_url"] == "https://hooks.example.com/custom"
    assert same_origin.status_code == 200
    assert same_origin.json()["callback_url"] == client.config.default_callback_url


def test_client_cross_site_provider_changes_are_refused(start_client):
    client = start_client()
    provider = add_provider(client)
    cross = {"Origin": EVIL_ORIGIN}
    with http() as session:
        create = session.post(
            f"{client.url}/api/providers",
            data="nickname=evil",
            headers={**cross, "Content-Type": FORM},
            timeout=TIMEOUT,
        )
        delete = session.delete(
            f"{client.url}/api/providers/{provider['id']}", headers=cross, timeout=TIMEOUT
        )
    assert (create.status_code, delete.status_code) == (403, 403)
    assert [p["id"] for p in client.integration.list_providers()] == [provider["id"]]


def test_the_signed_callback_receiver_accepts_any_origin_and_host(start_client):
    """Twilio (or a compose service) reaches it under any name; its signature guards it."""
    client = start_client()
    with http() as session:
        response = session.post(
            f"{client.url}/sms/twilio",
            data={"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered"},
            headers={"Origin": EVIL_ORIGIN, "Host": "client-service:8911"},
            timeout=TIMEOUT,
        )
    # Not refused by the guard (403 "Cross-site"/"Host"): refused by the signature check.
    assert response.status_code == 403
    assert "Cross-site" not in response.text and "rebinding" not in response.text
