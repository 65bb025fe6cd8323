"""Fixtures for the security tests: each test gets its own servers on free ports with
in-memory stores, so they run in parallel."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from smsim.client import ClientConfig, ClientServer
from smsim.simulator.config import SimulatorConfig
from smsim.simulator.server import SimulatorServer


def _load_browser_fixtures() -> Any:
    """The suite's one headless-Chromium fixture (tests/browser/conftest.py), reused
    rather than copied."""
    path = Path(__file__).resolve().parents[1] / "browser" / "conftest.py"
    spec = importlib.util.spec_from_file_location("smsim_security_browser_fixtures", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_browser_fixtures = _load_browser_fixtures()
browser = _browser_fixtures.browser
_chromium_paths = _browser_fixtures._chromium_paths


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
    (its Twilio base URL is a closed port: these tests never send)."""
    servers: list[ClientServer] = []

    def start(**overrides: Any) -> ClientServer:
        config = ClientConfig(
            memory=True, twilio_base_url="http://127.0.0.1:9", account_id="acme", **overrides
        )
        server = ClientServer(config, threads=4).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
