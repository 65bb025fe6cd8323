"""The repo's commands that call a server's control surface keep working when that
server has a control token: they take ``--control-token`` or read ``SMSIM_CONTROL_TOKEN``."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading

import pytest
from security_helpers import TIMEOUT, http

from smsim.cli import main as cli

TOKEN = "cli-control-token"


@pytest.fixture
def wired_client(start_simulator, start_client, monkeypatch):
    """A protected client whose provider sends to a simulator's full account."""
    monkeypatch.delenv("SMSIM_CONTROL_TOKEN", raising=False)
    sim = start_simulator()
    account = next(a for a in sim.engine.accounts.all() if a.type.lower() == "full")
    number = sim.engine.accounts.numbers(account.sid)[0].phone_number
    client = start_client(twilio_base_url=sim.url, control_token=TOKEN)
    client.integration.add_provider(
        nickname="main",
        account_sid=account.sid,
        auth_token=account.auth_token,
        from_numbers=[number],
    )
    return client


def test_client_campaign_and_stats_send_the_token(wired_client, tmp_path, capsys, monkeypatch):
    recipients = tmp_path / "to.txt"
    recipients.write_text("+14155550101\n+14155550102\n")
    campaign = ["client", "campaign", "--message", "hi", "--recipients", str(recipients)]
    campaign += ["--url", wired_client.url]

    assert cli(campaign) == 1
    assert "control token" in capsys.readouterr().err
    assert cli([*campaign, "--control-token", TOKEN]) == 0
    [started] = re.findall(r"campaign (\d+):", capsys.readouterr().out)

    stats = ["client", "stats", started, "--url", wired_client.url, "--json"]
    assert cli(stats) == 1
    capsys.readouterr()
    monkeypatch.setenv("SMSIM_CONTROL_TOKEN", TOKEN)
    assert cli(stats) == 0
    assert '"targeted": 2' in capsys.readouterr().out.replace("\n  ", "")


@pytest.mark.slow
def test_smsim_up_protects_both_servers_with_one_token_and_still_wires_them(tmp_path):
    command = [sys.executable, "-m", "smsim", "up", "--sim-port", "0", "--client-port", "0"]
    proc = subprocess.Popen(
        [*command, "--memory"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "SMSIM_CONTROL_TOKEN": TOKEN},
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl-C stops both" in line:
                break
        banner = "".join(lines)
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        client = re.search(r"client dashboard\s+(http://\S+)/", banner)
        sim = re.search(r"simulator inbox\s+(http://\S+)/", banner)
        assert client and sim, banner
        with http() as session:
            answers = {}
            for url in (f"{client.group(1)}/api/providers", f"{sim.group(1)}/_smsim/accounts"):
                answers[url] = (
                    session.get(url, timeout=TIMEOUT).status_code,
                    session.get(url, headers={"X-Smsim-Control-Token": TOKEN}, timeout=TIMEOUT),
                )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    for refused, allowed in answers.values():
        assert refused == 401 and allowed.status_code == 200
    providers = answers[f"{client.group(1)}/api/providers"][1].json()["providers"]
    assert {p["nickname"] for p in providers} == {"main", "trial"}  # provisioning worked
    assert TOKEN not in banner
