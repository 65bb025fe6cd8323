"""Shared fixtures for the contracts tests.

The reference material (Twilio's OpenAPI spec, the CleverTap seed) lives beside the
repository in ``shared/``; tests that compare against it skip with a reason when it is
absent (for example in a bare checkout).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request
from werkzeug.serving import BaseWSGIServer, make_server

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared"
SEED_FILE = SHARED / "seed" / "clevertap-twilio-sms-provider.txt"
SPEC_FILE = SHARED / "twilio" / "twilio_api_v2010.json"


@pytest.fixture(scope="session")
def seed_error_rows() -> list[tuple[int, str]]:
    """The seed's error table as (code, description + details) rows, in seed order.

    The seed's table cells are concatenated without separators ("30001Queue overflowIndicates
    ..."), so a row is compared as one string.
    """
    if not SEED_FILE.is_file():
        pytest.skip(f"seed document not found at ../shared/seed/{SEED_FILE.name}")
    rows = []
    for line in SEED_FILE.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"(\d{5})(.+)", line.strip())
        if match:
            rows.append((int(match.group(1)), match.group(2)))
    return rows


@pytest.fixture(scope="session")
def twilio_spec() -> dict[str, Any]:
    """Twilio's published OpenAPI spec for API v2010."""
    if not SPEC_FILE.is_file():
        pytest.skip(f"Twilio spec not found at ../shared/twilio/{SPEC_FILE.name}")
    return json.loads(SPEC_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def serve_app() -> Iterator[Callable[[Flask], str]]:
    """Start Flask apps on free 127.0.0.1 ports for this test; returns their base URLs."""
    servers: list[BaseWSGIServer] = []
    threads: list[threading.Thread] = []

    def start(app: Flask) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        servers.append(server)
        threads.append(thread)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
    for thread in threads:
        thread.join(timeout=5)


@dataclass
class Received:
    """One request a test receiver got."""

    url: str
    form: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A recording webhook receiver: answers ``status`` (default 200) to every POST."""

    requests: list[Received] = field(default_factory=list)
    status: int = 200

    def app(self) -> Flask:
        app = Flask("test-receiver")

        @app.post("/<path:_path>")
        def record(_path: str) -> tuple[str, int]:
            body = request.get_data(cache=True)  # form parsing then reads the cached body
            self.requests.append(
                Received(
                    url=request.url,
                    form=list(request.form.items(multi=True)),
                    headers=dict(request.headers),
                    body=body,
                )
            )
            return "<Response/>", self.status

        return app


@pytest.fixture
def receiver(serve_app: Callable[[Flask], str]) -> tuple[Receiver, str]:
    """A recording receiver and its base URL."""
    rec = Receiver()
    return rec, serve_app(rec.app())
