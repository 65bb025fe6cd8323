"""`smsim serve` as a real process: start-up output, config errors, and restarts on the
same database (including `kill -9` in the middle of a lifecycle)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import requests

from smsim.testing import CallbackRecorder
from smsim.testing import ServeProcess as Serve

SERVE = [sys.executable, "-m", "smsim", "serve", "--port", "0"]  # for one-shot runs


def test_serve_prints_url_and_default_credentials_and_keeps_them(tmp_path: Path):
    db = str(tmp_path / "smsim.db")
    first = Serve("--db", db)
    try:
        assert [kind for kind, _, _ in first.accounts] == ["full", "trial"]
        _, sid, token = first.accounts[0]
        created = requests.post(
            f"{first.url}/2010-04-01/Accounts/{sid}/Messages.json",
            data={"To": "+14155550199", "From": "+15005550006", "Body": "survives"},
            auth=(sid, token),
            timeout=5,
        )
        assert created.status_code == 201
    finally:
        first.stop()
    second = Serve("--db", db)
    try:
        assert second.accounts == first.accounts
        fetched = requests.get(
            f"{second.url}/2010-04-01/Accounts/{sid}/Messages/{created.json()['sid']}.json",
            auth=(sid, token),
            timeout=5,
        )
        assert fetched.status_code == 200 and fetched.json()["body"] == "survives"
    finally:
        second.stop()


def test_bad_config_exits_2_naming_the_field(tmp_path: Path):
    config = tmp_path / "bad.yaml"
    config.write_text("accounts:\n  - type: gold\n", encoding="utf-8")
    result = subprocess.run(
        [*SERVE, "--memory", "--config", str(config)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "accounts[0].type" in result.stderr and "gold" in result.stderr
    config.write_text("delays: {sent: -1}\n", encoding="utf-8")
    result = subprocess.run(
        [*SERVE, "--memory", "--config", str(config)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2 and "delays.sent" in result.stderr


def test_config_accounts_are_served(tmp_path: Path):
    config = tmp_path / "accounts.json"
    sid, token = "AC" + "ab" * 16, "f" * 32
    account = {
        "sid": sid,
        "auth_token": token,
        "type": "trial",
        "numbers": ["+14155550100"],
        "verified_numbers": ["+14155550111"],
    }
    config.write_text(json.dumps({"accounts": [account]}), encoding="utf-8")
    server = Serve("--memory", "--config", str(config))
    try:
        assert server.accounts == [("trial", sid, token)]
        ok = requests.post(
            f"{server.url}/2010-04-01/Accounts/{sid}/Messages.json",
            data={"To": "+14155550111", "From": "+14155550100", "Body": "hi"},
            auth=(sid, token),
            timeout=5,
        )
        assert ok.status_code == 201
        assert ok.json()["body"] == "Sent from your Twilio trial account - hi"
        refused = requests.post(
            f"{server.url}/2010-04-01/Accounts/{sid}/Messages.json",
            data={"To": "+14155550122", "From": "+14155550100", "Body": "hi"},
            auth=(sid, token),
            timeout=5,
        )
        assert refused.json()["code"] == 21608
    finally:
        server.stop()


def test_kill_9_mid_lifecycle_then_restart_finishes_every_message(tmp_path: Path):
    db = str(tmp_path / "smsim.db")
    config = tmp_path / "slow.yaml"
    config.write_text(
        "enforce_throughput: false\ndelays: {sending: 2.0, sent: 3.0, delivered: 3.5}\n",
        encoding="utf-8",
    )
    with CallbackRecorder() as receiver:
        first = Serve("--db", db, "--config", str(config))
        _, sid, token = first.accounts[0]
        sids = []
        for i in range(20):
            response = requests.post(
                f"{first.url}/2010-04-01/Accounts/{sid}/Messages.json",
                data={
                    "To": f"+1415555{i:04d}",
                    "From": "+15005550006",
                    "Body": "x",
                    "StatusCallback": receiver.url("/cb"),
                },
                auth=(sid, token),
                timeout=5,
            )
            sids.append(response.json()["sid"])
        first.kill()  # before any step was due: everything is pending in the database
        assert receiver.requests == []
        second = Serve("--db", db, "--config", str(config))
        try:
            receiver.wait_for(40, timeout=30)
            got = [(r.params["MessageSid"], r.params["MessageStatus"]) for r in receiver.requests]
            assert sorted(got) == sorted((s, st) for s in sids for st in ("sent", "delivered"))
            for message_sid in sids:
                fetched = requests.get(
                    f"{second.url}/2010-04-01/Accounts/{sid}/Messages/{message_sid}.json",
                    auth=(sid, token),
                    timeout=5,
                ).json()
                assert fetched["status"] == "delivered"
        finally:
            second.stop()
