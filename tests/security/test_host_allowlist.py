"""DNS rebinding: a page on evil.example whose name re-resolves to 127.0.0.1 reads the
server as same-origin, under ``Host: evil.example``. Protected routes answer only to
loopback names, the bound address and ``--allowed-host`` names; the Twilio API, the
callback receiver and click redirects answer to any name (compose service names)."""

from __future__ import annotations

import pytest
from security_helpers import TIMEOUT, add_provider, http

from smsim.simulator.config import load_config


def get_accounts(sim, host: str):
    with http() as session:
        return session.get(f"{sim.url}/_smsim/accounts", headers={"Host": host}, timeout=TIMEOUT)


def test_a_foreign_host_cannot_read_the_accounts_and_their_tokens(sim):
    tokens = [
        a["auth_token"] for a in get_accounts(sim, f"127.0.0.1:{sim.port}").json()["accounts"]
    ]
    assert tokens

    response = get_accounts(sim, f"evil.example:{sim.port}")

    assert response.status_code == 403
    error = response.json()
    assert error["status"] == 403 and error["code"] == 20403
    assert "--allowed-host evil.example" in error["message"]
    assert not any(token in response.text for token in tokens)


@pytest.mark.parametrize(
    "host",
    ["localhost", "LOCALHOST", "app.localhost", "127.0.0.1", "127.1.2.3", "[::1]", "localhost."],
)
def test_loopback_names_are_accepted(sim, host):
    assert get_accounts(sim, f"{host}:{sim.port}").status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example", "localhost.evil"])
def test_names_that_only_look_local_are_refused(sim, host):
    assert get_accounts(sim, f"{host}:{sim.port}").status_code == 403


def test_allowed_host_lets_a_named_host_through(start_simulator):
    sim = start_simulator(allowed_hosts=("sim.internal", ".corp.example"))

    assert get_accounts(sim, f"sim.internal:{sim.port}").status_code == 200
    assert get_accounts(sim, "SIM.INTERNAL").status_code == 200
    assert get_accounts(sim, f"box.corp.example:{sim.port}").status_code == 200
    assert get_accounts(sim, "corp.example").status_code == 200
    assert get_accounts(sim, f"evil.example:{sim.port}").status_code == 403


def test_a_star_turns_the_host_check_off(start_simulator):
    sim = start_simulator(allowed_hosts=("*",))
    assert get_accounts(sim, "anything.example").status_code == 200


def test_allowed_hosts_come_from_the_environment_comma_separated():
    config = load_config(environ={"SMSIM_ALLOWED_HOSTS": "sim.internal, Other.Example ,"})
    assert config.allowed_hosts == ("sim.internal", "other.example")
    flags = load_config(environ={}, overrides={"allowed_hosts": ["a.example", "b.example"]})
    assert flags.allowed_hosts == ("a.example", "b.example")


def test_the_twilio_api_answers_to_any_host(sim):
    account = get_accounts(sim, "localhost").json()["accounts"][0]
    with http() as session:
        response = session.get(
            f"{sim.url}/2010-04-01/Accounts/{account['sid']}.json",
            auth=(account["sid"], account["auth_token"]),
            headers={"Host": f"smsim:{sim.port}"},
            timeout=TIMEOUT,
        )
    assert response.status_code == 200 and response.json()["sid"] == account["sid"]


def test_client_api_refuses_a_foreign_host_but_not_its_public_name(start_client):
    client = start_client(public_url="http://client.internal:8911")
    add_provider(client)
    with http() as session:
        foreign = session.get(
            f"{client.url}/api/providers", headers={"Host": "evil.example"}, timeout=TIMEOUT
        )
        public = session.get(
            f"{client.url}/api/providers", headers={"Host": "client.internal:8911"}, timeout=TIMEOUT
        )
    assert foreign.status_code == 403 and "--allowed-host evil.example" in foreign.json()["error"]
    assert "b" * 32 not in foreign.text
    assert public.status_code == 200 and len(public.json()["providers"]) == 1


def test_client_click_redirects_answer_to_any_host(start_client):
    client = start_client()
    with http() as session:
        response = session.get(
            f"{client.url}/c/nosuchcode",
            headers={"Host": "links.example"},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
    # Reached the click route (an unknown code), not refused by the Host check.
    assert response.status_code == 404
    assert "rebinding" not in response.text
