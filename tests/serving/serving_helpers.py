"""Helpers for the serving tests: parked long-polls as open HTTP connections, timing,
and polling with a deadline. Everything talks to 127.0.0.1 only."""

from __future__ import annotations

import http.client
import json
import statistics
import time
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


def timed_creates(
    base_url: str, sid: str, token: str, count: int, to: str = "+14155550100"
) -> list[float]:
    """Seconds each of ``count`` sequential creates took (all must answer 201)."""
    session = requests.Session()
    session.trust_env = False
    took = []
    for i in range(count):
        began = time.perf_counter()
        response = session.post(
            f"{base_url}/2010-04-01/Accounts/{sid}/Messages.json",
            data={"To": to, "From": "+15005550006", "Body": f"create {i}"},
            auth=(sid, token),
            timeout=60,
        )
        took.append(time.perf_counter() - began)
        assert response.status_code == 201, response.text
    session.close()
    return took


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms"
