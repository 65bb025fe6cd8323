"""The metrics routes are guarded like the control planes they sit in (docs/security.md):
with a control token they answer only with it, and never to a foreign Host name."""

from __future__ import annotations

import requests

from smsim.client import ClientConfig, ClientServer
from smsim.simulator.config import SimulatorConfig
from smsim.simulator.server import SimulatorServer

TOKEN = "s3cret-metrics-token"


def _get(url: str, **headers: str) -> requests.Response:
    return requests.get(url, headers=headers, timeout=10)


def test_simulator_metrics_need_the_token_and_our_host() -> None:
    config = SimulatorConfig(memory=True, port=0, clock="virtual", control_token=TOKEN)
    with SimulatorServer(config) as server:
        url = f"{server.url}/_smsim/metrics"
        assert _get(url).status_code == 401
        assert _get(url, Authorization="Bearer wrong").status_code == 401
        assert _get(url, Host="evil.example", Authorization=f"Bearer {TOKEN}").status_code == 403
        answer = _get(url, Authorization=f"Bearer {TOKEN}")
        assert answer.status_code == 200
        assert "smsim_messages_created_total 0.0" in answer.text


def test_client_metrics_need_the_token_and_our_host() -> None:
    config = ClientConfig(memory=True, twilio_base_url="http://127.0.0.1:9", control_token=TOKEN)
    with ClientServer(config) as server:
        url = f"{server.url}/metrics"
        assert _get(url).status_code == 401
        assert _get(url, Host="evil.example", Authorization=f"Bearer {TOKEN}").status_code == 403
        answer = _get(url, Authorization=f"Bearer {TOKEN}")
        assert answer.status_code == 200
        assert 'smsim_client_messages_total{outcome="targeted"} 0.0' in answer.text
