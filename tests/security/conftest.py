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


def _load_from_browser_tests(name: str) -> Any:
    """A module of tests/browser/, so the suite keeps one headless-Chromium fixture and
    one ``wait_for`` rather than copies."""
    path = Path(__file__).resolve().parents[1] / "browser" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"smsim_security_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_browser_fixtures = _load_from_browser_tests("conftest")
browser = _browser_fixtures.browser
_chromium_paths = _browser_fixtures._chromium_paths


@pytest.fixture
def wait_for() -> Callable[..., Any]:
    """``wait_for(driver, condition, timeout)`` from tests/browser/browser_helpers.py."""
    return _load_from_browser_tests("browser_helpers").wait_for


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
