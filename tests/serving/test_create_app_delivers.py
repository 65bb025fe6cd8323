"""The exported app factory delivers on its own: `smsim:create_app` served by a plain
`waitress-serve` (nothing of smsim's serving code runs) sends a message through
sending, sent and delivered, and posts its StatusCallbacks."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from serving_helpers import poll

from smsim.testing import CallbackRecorder

pytestmark = pytest.mark.slow  # a real waitress-serve process, real clock


class WaitressServe:
    """``waitress-serve --listen=127.0.0.1:0 --call smsim:create_app`` in ``folder``."""

    def __init__(self, folder: Path, **env: str) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "waitress",
                "--listen=127.0.0.1:0",
                "--call",
                "smsim:create_app",
            ],
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), **env},
        )
        self.log: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()
        # waitress' own start-up line is the only thing that names the port it got.
        found = poll(self._url, 60, "waitress-serve to say where it serves")
        self.url: str = found

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.log.append(line)

    def _url(self) -> str | None:
        if self.proc.poll() is not None:
            raise AssertionError("waitress-serve exited: " + "".join(self.log))
        for line in list(self.log):
            match = re.search(r"Serving on (http://\S+)", line)
            if match:
                return match.group(1)
        return None

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # waitress' own way to stop
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def test_waitress_serve_create_app_delivers_and_calls_back(tmp_path: Path):
    with CallbackRecorder() as receiver:
        server = WaitressServe(tmp_path, SMSIM_SPEED="10")
        try:
            accounts = requests.get(f"{server.url}/_smsim/accounts", timeout=10).json()
            full = next(a for a in accounts["accounts"] if a["type"] == "full")
            sid, token = full["sid"], full["auth_token"]
            created = requests.post(
                f"{server.url}/2010-04-01/Accounts/{sid}/Messages.json",
                data={
                    "To": "+14155550100",
                    "From": "+15005550006",
                    "Body": "served by waitress-serve",
                    "StatusCallback": receiver.url("/status"),
                },
                auth=(sid, token),
                timeout=10,
            )
            assert created.status_code == 201
            message_sid = created.json()["sid"]
            # Before: nothing started the engine, so the message stayed queued forever.
            got = receiver.wait_for(2, timeout=30)
            # Each callback is its own webhook job: on a loaded machine they may land in
            # either order, as Twilio's may.
            assert sorted((r.params["MessageSid"], r.params["MessageStatus"]) for r in got) == [
                (message_sid, "delivered"),
                (message_sid, "sent"),
            ]
            assert all(r.headers.get("X-Twilio-Signature") for r in got)
            fetched = requests.get(
                f"{server.url}/2010-04-01/Accounts/{sid}/Messages/{message_sid}.json",
                auth=(sid, token),
                timeout=10,
            ).json()
            assert fetched["status"] == "delivered"
        finally:
            assert server.stop() == 0
    # The app used SMSIM_* and the default ./smsim.db in its working folder, and stopped
    # its engine at exit: the message is stored there, delivered.
    assert (tmp_path / "smsim.db").is_file()
