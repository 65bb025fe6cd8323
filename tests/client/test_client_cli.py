"""`smsim client serve` as a user runs it: prints its URL, serves, stops on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
import requests

from smsim.cli import build_parser


def test_serve_options_parse() -> None:
    args = build_parser().parse_args(
        ["client", "serve", "--port", "0", "--memory", "--twilio-base-url", "http://127.0.0.1:1"]
    )
    assert (args.port, args.memory, args.twilio_base_url) == (0, True, "http://127.0.0.1:1")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["client", "serve", "--memory", "--db", "x.db"])


@pytest.mark.slow
def test_serve_prints_its_url_and_stops_on_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "smsim", "client", "serve", "--port", "0", "--memory"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("smsim client listening on http://127.0.0.1:")
        url = first.rsplit(" ", 1)[1].strip()
        assert requests.get(url + "/api/health", timeout=5).json() == {"status": "ok"}
        assert requests.get(url + "/api/providers", timeout=5).json() == {"providers": []}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
