"""The mutation suite's fixture: each receiver on its own threaded server on port 0. (The
mutation score is printed by ``pytest_terminal_summary`` in tests/conftest.py, which the
xdist controller loads.)"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Hundreds of requests per run: no access log."""


@pytest.fixture
def serve() -> Iterator[Callable[[Flask], str]]:
    """Start Flask apps on free 127.0.0.1 ports for this test; returns their base URLs."""
    servers: list[tuple[BaseWSGIServer, threading.Thread]] = []

    def start(app: Flask) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
