"""``smsim up --clock virtual``: the simulator smsim up starts runs on the clock it was
given, so the inbox's Clock page works under smsim up as it does under smsim serve."""

from __future__ import annotations

import signal
import time

import pytest
import requests
from up_helpers import start_up_process


def _delivered(client_url: str) -> int:
    stats = requests.get(client_url + "/api/providers/main/stats", timeout=10).json()
    return int(stats["delivered"])


@pytest.mark.slow
def test_up_with_a_virtual_clock_delivers_only_when_time_is_moved() -> None:
    proc, banner, client_url, sim_url = start_up_process("--clock", "virtual")
    try:
        assert "simulator clock     virtual" in banner
        assert requests.get(sim_url + "/_smsim/health", timeout=10).json()["clock"] == "virtual"
        sent = requests.post(
            client_url + "/api/providers/main/test-sms",
            json={"country_code": "1", "mobile_number": "4155550111", "message": "hello"},
            timeout=30,
        ).json()
        assert sent["ok"], sent
        message = requests.get(f"{sim_url}/_smsim/messages", timeout=10).json()["messages"][0]
        assert message["status"] in ("accepted", "queued")  # time has not moved
        assert requests.post(sim_url + "/_smsim/clock/run-until-idle", timeout=30).ok
        deadline = time.monotonic() + 30
        while _delivered(client_url) != 1:  # the callback reaches the client
            assert time.monotonic() < deadline, "no delivered callback after the clock ran"
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0


@pytest.mark.slow
def test_up_passes_its_speed_to_the_simulator() -> None:
    # --speed 0.1 (the slowest the simulator takes) stretches the first lifecycle step
    # (0.1 s) to 1 s: the step the simulator schedules for a new message shows the factor.
    proc, banner, client_url, sim_url = start_up_process("--speed", "0.1")
    try:
        assert "simulator clock     real, lifecycle delays divided by 0.1" in banner
        sent = requests.post(
            client_url + "/api/providers/main/test-sms",
            json={"country_code": "1", "mobile_number": "4155550111", "message": "hello"},
            timeout=30,
        ).json()
        assert sent["ok"], sent
        clock = requests.get(sim_url + "/_smsim/clock", timeout=10).json()
        assert clock["mode"] == "real"
        assert clock["next_due"] - clock["now"] > 0.2  # at speed 1 it would be 0.1 s at most
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
