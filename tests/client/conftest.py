"""Fixtures for the client tests: each test gets its own servers on free ports and its
own memory store, so tests run in parallel without sharing state."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from client_helpers import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, fake_twilio_app
from werkzeug.serving import make_server

from smsim.client import ClientConfig, ClientServer, Integration
from smsim.client.app import create_app


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    state = FakeTwilio(accounts={ACCOUNT_SID: AUTH_TOKEN})
    server = make_server("127.0.0.1", 0, fake_twilio_app(state), threaded=True)
    state.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    thread.join(5)


@pytest.fixture
def client_server(fake_twilio: FakeTwilio) -> Iterator[ClientServer]:
    """The integration served on a free port, sending to the fake Twilio."""
    config = ClientConfig(memory=True, twilio_base_url=fake_twilio.url, account_id="acme")
    with ClientServer(config) as server:
        yield server


@pytest.fixture
def integration(client_server: ClientServer) -> Integration:
    return client_server.integration


@pytest.fixture
def app_client() -> Any:
    """A Flask test client over a memory store (no Twilio needed)."""
    config = ClientConfig(
        memory=True, public_url="http://client.test", twilio_base_url="http://127.0.0.1:9"
    )
    app = create_app(config)
    yield app.test_client()
    app.extensions["smsim_client"].close()
