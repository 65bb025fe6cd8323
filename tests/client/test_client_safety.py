"""The client's own safety bits: a loud banner when it talks to the real Twilio, and a
reset for tests."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests
from client_helpers import FakeTwilio, provider_settings

from smsim.client import ClientServer


def test_reset_forgets_providers_campaigns_and_events(
    client_server: ClientServer, fake_twilio: FakeTwilio
) -> None:
    url = client_server.url
    assert requests.post(url + "/api/providers", json=provider_settings(), timeout=10).ok
    client_server.integration.send_campaign("hi", ["+14155550101"])
    assert requests.get(url + "/api/events", timeout=10).json()["events"]

    assert requests.post(url + "/api/reset", timeout=30).json() == {"reset": True}
    assert requests.get(url + "/api/providers", timeout=10).json() == {"providers": []}
    assert requests.get(url + "/api/campaigns", timeout=10).json() == {"campaigns": []}
    assert requests.get(url + "/api/events", timeout=10).json() == {"events": []}
    # And it still works afterwards: a new provider is the default, a campaign goes out.
    assert requests.post(url + "/api/providers", json=provider_settings(), timeout=10).ok
    report = client_server.integration.send_campaign("again", ["+14155550102"])
    assert report["sent"] == 1


@pytest.mark.slow
def test_started_without_a_twilio_base_url_the_banner_warns_it_is_the_real_twilio() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "smsim", "client", "serve", "--port", "0", "--memory"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(5)]
    finally:
        proc.terminate()
        proc.wait(15)
    banner = "".join(lines)
    assert "twilio base URL: https://api.twilio.com" in banner
    assert "WARNING: this client talks to the REAL Twilio" in banner
