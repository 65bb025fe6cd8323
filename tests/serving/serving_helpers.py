"""Helpers for the serving tests: parked long-polls as open HTTP connections, creates,
and polling with a deadline. Everything talks to 127.0.0.1 only."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import quote

import requests

from smsim.testing import poll  # noqa: F401 - re-exported for the tests

HOST = "127.0.0.1"


def open_long_polls(
    port: int, count: int, to: str, wait: float
) -> list[http.client.HTTPConnection]:
    """``count`` requests ``GET /_smsim/messages?to=..&wait=..`` sent, answers not read."""
    connections = []
    for _ in range(count):
        conn = http.client.HTTPConnection(HOST, port, timeout=wait + 30)
        conn.request("GET", f"/_smsim/messages?to={quote(to)}&wait={wait:g}")
        connections.append(conn)
    return connections


def answers(connections: list[http.client.HTTPConnection]) -> list[tuple[int, Any]]:
    """(status, JSON body) of each connection's answer; closes them."""
    out = []
    for conn in connections:
        response = conn.getresponse()
        out.append((response.status, json.loads(response.read())))
        conn.close()
    return out


def create_messages(
    base_url: str, sid: str, token: str, count: int, to: str = "+14155550100"
) -> list[str]:
    """SIDs of ``count`` sequential creates (each must answer 201; the timeout is only a
    net for a hang)."""
    session = requests.Session()
    session.trust_env = False
    sids = []
    for i in range(count):
        response = session.post(
            f"{base_url}/2010-04-01/Accounts/{sid}/Messages.json",
            data={"To": to, "From": "+15005550006", "Body": f"create {i}"},
            auth=(sid, token),
            timeout=60,
        )
        assert response.status_code == 201, response.text
        sids.append(response.json()["sid"])
    session.close()
    return sids
