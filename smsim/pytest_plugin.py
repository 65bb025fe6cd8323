"""smsim's pytest plugin (registered through the ``pytest11`` entry point).

Fixtures, each function-scoped so every test owns its state (its own server on a free
port, its own in-memory store, a virtual clock):

- ``smsim_config``: the :class:`SimulatorConfig` used; override it in a conftest.
- ``simulator``: a running :class:`SimulatorServer` (``.url``, ``.engine``).
- ``smsim_control``: a :class:`ControlClient` for its ``/_smsim`` API.
- ``twilio_account``: a fresh full account with one number (dict: sid, auth_token, ...).
- ``twilio_client``: the official ``twilio`` SDK client wired to the simulator. It needs
  the SDK (``pip install "smsim[sdk]"``) and fails, rather than skips, without it: a
  contract test that skipped would pass in CI while testing nothing.
- ``callback_recorder``: a :class:`CallbackRecorder` receiving webhooks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from smsim.scenarios.pytest_collect import pytest_collect_file  # noqa: F401

# The server stack (Flask, waitress, jsonschema, phonenumbers) is imported by the fixtures
# that need it, not here: pytest loads this plugin in every session wherever smsim is
# installed, and most of those sessions never start a simulator.
if TYPE_CHECKING:
    from smsim.simulator.config import SimulatorConfig
    from smsim.simulator.server import SimulatorServer
    from smsim.testing import CallbackRecorder, ControlClient


@pytest.fixture
def smsim_config() -> SimulatorConfig:
    from smsim.simulator.config import SimulatorConfig

    return SimulatorConfig(memory=True, port=0, clock="virtual", threads=8, webhook_workers=8)


@pytest.fixture
def simulator(smsim_config: SimulatorConfig) -> Iterator[SimulatorServer]:
    from smsim.simulator.server import SimulatorServer

    with SimulatorServer(smsim_config) as server:
        yield server


@pytest.fixture
def smsim_control(simulator: SimulatorServer) -> ControlClient:
    from smsim.testing import ControlClient

    return ControlClient(simulator.url, token=simulator.config.control_token)


@pytest.fixture
def twilio_account(smsim_control: ControlClient) -> dict[str, Any]:
    return smsim_control.create_account("full", numbers=["+14155550100"])


SDK_MISSING = (
    "smsim's twilio_client fixture needs the official Twilio SDK, which is not installed: "
    'pip install "smsim[sdk]" (or: pip install twilio)'
)


@pytest.fixture
def twilio_client(simulator: SimulatorServer, twilio_account: dict[str, Any]) -> Any:
    try:
        import twilio.rest as twilio_rest
    except ImportError:
        pytest.fail(SDK_MISSING, pytrace=False)
    client = twilio_rest.Client(twilio_account["sid"], twilio_account["auth_token"], environment={})
    client.api.base_url = simulator.url
    client.messaging.base_url = simulator.url
    return client


@pytest.fixture
def callback_recorder() -> Iterator[CallbackRecorder]:
    from smsim.testing import CallbackRecorder

    with CallbackRecorder() as recorder:
        yield recorder
