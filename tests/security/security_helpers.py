"""Helpers shared by the security tests."""

from __future__ import annotations

from typing import Any

import requests

from smsim.client import ClientServer
from smsim.simulator.server import SimulatorServer

EVIL_ORIGIN = "http://evil.example"
TIMEOUT = 10

PROVIDER = {
    "nickname": "main",
    "account_sid": "AC" + "a" * 32,
    "auth_token": "b" * 32,
    "from_numbers": ["+14155550100"],
}


def http() -> requests.Session:
    """A session that never goes through a proxy (every server here is on loopback)."""
    session = requests.Session()
    session.trust_env = False
    return session


def control_state(sim: SimulatorServer, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """What a cross-site request must not be able to change: accounts, messages, rules."""
    with http() as session:
        get = lambda path: session.get(  # noqa: E731
            f"{sim.url}/_smsim/{path}", headers=headers or {}, timeout=TIMEOUT
        ).json()
        return {
            "accounts": get("accounts")["accounts"],
            "messages": get("messages")["messages"],
            "rules": get("rules")["rules"],
        }


def seed_state(sim: SimulatorServer) -> dict[str, Any]:
    """An account with a number, one message sent through the Twilio API, one rule."""
    with http() as session:
        account = session.post(
            f"{sim.url}/_smsim/accounts",
            json={"type": "full", "numbers": ["+14155550111"]},
            timeout=TIMEOUT,
        ).json()
        created = session.post(
            f"{sim.url}/2010-04-01/Accounts/{account['sid']}/Messages.json",
            data={"To": "+14155550199", "From": "+14155550111", "Body": "keep me"},
            auth=(account["sid"], account["auth_token"]),
            timeout=TIMEOUT,
        )
        assert created.status_code == 201, created.text
        rule = session.post(
            f"{sim.url}/_smsim/rules",
            json={"match": {"to": "+14155550123"}, "outcome": {"error_code": 30005}},
            timeout=TIMEOUT,
        )
        assert rule.status_code == 201, rule.text
    return account


def add_provider(client: ClientServer, **changes: Any) -> dict[str, Any]:
    """A provider whose callback URL was customised (so a restore would be visible)."""
    provider = client.integration.add_provider({**PROVIDER, **changes})
    return client.integration.update_provider(
        provider["id"], {"callback_url": "https://hooks.example.com/custom"}
    )
