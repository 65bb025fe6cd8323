"""Idle sockets cannot starve the server: with 2,000 idle connections open (past both
the old connection limit of 1,000 and select()'s 1,024 descriptors) `smsim serve` still
answers health and creates."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest
import requests
from serving_helpers import HOST, create_messages

from smsim.serving import raise_fd_limit
from smsim.testing import ServeProcess

pytestmark = pytest.mark.slow  # a real `smsim serve` process and 2,000 sockets

IDLE = 2000


def test_two_thousand_idle_sockets_leave_health_and_creates_answering():
    assert raise_fd_limit() > IDLE + 200, "this test needs descriptors for its own sockets"
    server = ServeProcess("--memory")
    idle: list[socket.socket] = []
    try:
        port = urlsplit(server.url).port
        assert port is not None
        session = requests.Session()
        session.trust_env = False
        for _ in range(IDLE):
            idle.append(socket.create_connection((HOST, port), timeout=10))
        # Before the fix the 1,001st socket stopped accept() and this health check timed
        # out; now the loop first accepts the backlog (64 a turn), then answers. (How fast:
        # `python bench/waiters.py`; the timeouts here only keep a hang from lasting.)
        assert session.get(f"{server.url}/_smsim/health", timeout=60).json()["status"] == "ok"
        for _ in range(10):
            response = session.get(f"{server.url}/_smsim/health", timeout=60)
            assert response.json()["status"] == "ok"
        sid, token = server.full_account
        create_messages(server.url, sid, token, 10)  # each must answer 201
        # The idle sockets were accepted and are still served: a request on the first
        # and on the last of them is answered.
        for sock in (idle[0], idle[-1]):
            sock.sendall(b"GET /_smsim/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert sock.recv(100).startswith(b"HTTP/1.1 200")
    finally:
        for sock in idle:
            sock.close()
        server.stop()
    assert server.proc.returncode == 0
