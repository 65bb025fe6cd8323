"""`smsim client serve` as a user runs it: announces its URL, serves, stops on SIGTERM."""

from __future__ import annotations

import time

import pytest
import requests

from smsim.cli import build_parser
from smsim.testing import ServeProcess


def test_serve_options_parse() -> None:
    args = build_parser().parse_args(
        ["client", "serve", "--port", "0", "--memory", "--twilio-base-url", "http://127.0.0.1:1"]
    )
    assert (args.port, args.memory, args.twilio_base_url) == (0, True, "http://127.0.0.1:1")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["client", "serve", "--memory", "--db", "x.db"])


@pytest.mark.slow
def test_serve_announces_its_url_and_stops_on_sigterm() -> None:
    server = ServeProcess("--memory", command=("client", "serve"))
    try:
        assert server.ready["pid"] == server.pid
        assert server.url.startswith("http://127.0.0.1:")
        assert server.ready["callback_url"] == server.url + "/sms/twilio"
        # The banner is printed before the ready file is written, but read by a thread.
        banner = f"smsim client listening on {server.url}\n"
        deadline = time.monotonic() + 10
        while banner not in server.lines and time.monotonic() < deadline:
            time.sleep(0.05)
        assert banner in server.lines
        health = requests.get(server.url + "/api/health", timeout=5).json()
        assert health == {"status": "ok", "process": {"pid": server.pid, "role": "all"}}
        assert requests.get(server.url + "/api/providers", timeout=5).json() == {"providers": []}
    finally:
        server.stop()
    assert server.proc.returncode == 0
