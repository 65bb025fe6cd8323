"""`smsim up` as a user runs it: both servers answer, wired together, state in --data."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests


class Up:
    """``smsim up --data DIR`` on free ports, read from what it prints."""

    def __init__(self, data: Path) -> None:
        command = [sys.executable, "-m", "smsim", "up", "--sim-port", "0", "--client-port", "0"]
        self.proc = subprocess.Popen(
            [*command, "--data", str(data)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.proc.stdout is not None
        lines = []
        for line in self.proc.stdout:
            lines.append(line)
            if "Ctrl-C stops both" in line:
                break
        self.banner = "".join(lines)
        client = re.search(r"client dashboard\s+(http://\S+)/", self.banner)
        sim = re.search(r"simulator inbox\s+(http://\S+)/", self.banner)
        assert client and sim, self.banner
        self.client_url, self.sim_url = client.group(1), sim.group(1)
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(20)


@pytest.mark.slow
def test_up_serves_both_uis_and_the_main_provider_delivers_a_test_sms(tmp_path: Path) -> None:
    up = Up(tmp_path / "data")
    try:
        for url in (up.client_url + "/", up.sim_url + "/"):
            page = requests.get(url, timeout=10)
            assert page.status_code == 200 and "<html" in page.text
        assert re.search(r"main\s+full\s+AC[0-9a-f]{32} token [0-9a-f]{32}", up.banner)
        assert "trial trial" in up.banner and "verified +14155550100" in up.banner
        sent = requests.post(
            up.client_url + "/api/providers/main/test-sms",
            json={"country_code": "1", "mobile_number": "4155550111", "message": "hello"},
            timeout=30,
        ).json()
        assert sent["ok"] and sent["sid"].startswith("SM"), sent
        deadline = time.monotonic() + 30
        while (
            requests.get(up.client_url + "/api/providers/main/stats", timeout=10).json()[
                "delivered"
            ]
            != 1
        ):
            assert time.monotonic() < deadline, "the simulator's callback never arrived"
            time.sleep(0.2)
        # The handset answers main's number: the client hears it (main's SmsUrl is wired).
        inbound = {"from": "+14155550111", "to": "+15005550006", "body": "thanks"}
        assert requests.post(up.sim_url + "/_smsim/inbound", json=inbound, timeout=10).ok
        while (
            requests.get(up.client_url + "/api/providers/main/stats", timeout=10).json()["replied"]
            != 1
        ):
            assert time.monotonic() < deadline, "the reply never reached the client"
            time.sleep(0.2)
        dashboard = requests.get(up.client_url + "/", timeout=10).text
        assert f'href="{up.sim_url}/"' in dashboard  # the nav links the inbox
        trial = requests.post(
            up.client_url + "/api/providers/trial/test-sms",
            json={"country_code": "1", "mobile_number": "4155550111", "message": "hello"},
            timeout=30,
        ).json()
        assert trial["error_code"] == 21608  # not the verified handset
    finally:
        assert up.stop() == 0
    assert (tmp_path / "data" / "simulator.db").exists()
    assert (tmp_path / "data" / "client.db").exists()

    again = Up(tmp_path / "data")  # same folder: same accounts, providers not doubled
    try:
        providers = requests.get(again.client_url + "/api/providers", timeout=10).json()
        assert sorted(p["nickname"] for p in providers["providers"]) == ["main", "trial"]
        stats = requests.get(again.client_url + "/api/providers/main/stats", timeout=10).json()
        assert stats["delivered"] == 1
    finally:
        assert again.stop() == 0
