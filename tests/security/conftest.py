"""Fixtures for the security tests: each test gets its own servers on free ports with
in-memory stores, so they run in parallel."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import browser_helpers
import pytest

from smsim.client import ClientConfig, ClientServer
from smsim.simulator.config import SimulatorConfig
from smsim.simulator.server import SimulatorServer


@pytest.fixture
def wait_for() -> Callable[..., Any]:
    """``wait_for(driver, condition, timeout)`` from tests/browser_helpers.py."""
    return browser_helpers.wait_for


@pytest.fixture
def start_simulator() -> Iterator[Callable[..., SimulatorServer]]:
    """``start_simulator(control_token=..., allowed_hosts=...)`` -> a running simulator."""
    servers: list[SimulatorServer] = []

    def start(**overrides: Any) -> SimulatorServer:
        config = SimulatorConfig(
            memory=True, port=0, clock="virtual", threads=4, webhook_workers=2, **overrides
        )
        server = SimulatorServer(config).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def sim(start_simulator: Callable[..., SimulatorServer]) -> SimulatorServer:
    return start_simulator()


@pytest.fixture
def start_client() -> Iterator[Callable[..., ClientServer]]:
    """``start_client(control_token=..., allowed_hosts=...)`` -> a running integration
    (its Twilio base URL is a closed port unless ``twilio_base_url`` is given)."""
    servers: list[ClientServer] = []

    def start(**overrides: Any) -> ClientServer:
        settings: dict[str, Any] = {"twilio_base_url": "http://127.0.0.1:9", **overrides}
        config = ClientConfig(memory=True, account_id="acme", **settings)
        server = ClientServer(config, threads=4).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
