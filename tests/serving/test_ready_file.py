"""Start-up is machine-readable: `--ready-file` JSON (url, pid, accounts) written once the
server answers, and SIGTERM handlers installed before the banner, so a stop that follows
the banner at once exits 0 instead of dying of the signal (-15)."""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from serving_helpers import poll

from smsim.testing import ServeProcess

pytestmark = pytest.mark.slow  # real `smsim serve` / `smsim client serve` processes


def test_ready_file_names_url_pid_and_every_account_and_goes_away_on_stop():
    server = ServeProcess("--memory")
    try:
        ready = server.ready
        assert set(ready) == {"url", "pid", "accounts"}
        assert ready["pid"] == server.pid
        # Written only once the server answers: no retry needed.
        accounts = requests.get(f"{server.url}/_smsim/accounts", timeout=5).json()["accounts"]
        assert ready["accounts"] == [
            {
                "sid": a["sid"],
                "auth_token": a["auth_token"],
                "type": a["type"],
                "numbers": [n["phone_number"] for n in a["numbers"]],
            }
            for a in accounts
        ]
        assert [a["type"] for a in ready["accounts"]] == ["full", "trial"]
        assert ready["accounts"][0]["numbers"] == ["+15005550006"]
        sid, token = server.full_account
        created = requests.post(
            f"{server.url}/2010-04-01/Accounts/{sid}/Messages.json",
            data={"To": "+14155550100", "From": "+15005550006", "Body": "ready"},
            auth=(sid, token),
            timeout=5,
        )
        assert created.status_code == 201
        ready_path = Path(server.proc.args[server.proc.args.index("--ready-file") + 1])
        # It holds auth tokens: readable by its owner only.
        assert stat.S_IMODE(ready_path.stat().st_mode) == 0o600
    finally:
        server.stop()
    assert server.proc.returncode == 0
    assert not ready_path.exists()


def test_a_stale_ready_file_is_replaced_not_read(tmp_path: Path):
    ready_path = tmp_path / "ready.json"
    ready_path.write_text('{"url": "http://127.0.0.1:1", "pid": 1}', encoding="utf-8")
    proc = subprocess.Popen(
        [*_command("serve"), "--memory", "--ready-file", str(ready_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        ready = poll(lambda: _read_json(ready_path).get("pid") == proc.pid, 60, "a fresh file")
        assert ready is True
        url = json.loads(ready_path.read_text(encoding="utf-8"))["url"]
        assert requests.get(f"{url}/_smsim/health", timeout=5).json()["status"] == "ok"
    finally:
        proc.terminate()
        assert proc.wait(15) == 0


def _read_json(path: Path) -> dict[str, object]:
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def _command(*words: str) -> list[str]:
    return [sys.executable, "-m", "smsim", *words, "--host", "127.0.0.1", "--port", "0"]


@pytest.mark.parametrize("command", [("serve",), ("client", "serve")])
def test_sigterm_right_after_the_banner_exits_cleanly(command: tuple[str, ...]):
    """Before, `smsim serve` printed its banner, then installed its SIGTERM handler: a
    stop sent on the first banner line killed it with -15 more often than not."""
    for _ in range(5):
        proc = subprocess.Popen(
            [*_command(*command), "--memory"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            first = proc.stdout.readline()
            assert " listening on http://127.0.0.1:" in first
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(15) == 0, proc.stderr.read() if proc.stderr else ""
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
