"""``smsim up`` in-process for tests: the simulator (real clock, in memory) and the client,
wired exactly as the command wires them (same provisioning), on free ports."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests

from smsim.client import ClientConfig, ClientServer
from smsim.commands import up
from smsim.simulator.config import load_config
from smsim.simulator.server import SimulatorServer
from smsim.testing import ControlClient


@dataclass
class UpStack:
    sim: SimulatorServer
    client: ClientServer
    control: ControlClient
    wired: dict[str, dict[str, Any]]

    def api(self, method: str, path: str, **kw: Any) -> Any:
        resp = requests.request(method, self.client.url + path, timeout=30, **kw)
        assert resp.status_code < 300, resp.text
        return resp.json() if resp.content else None


@contextmanager
def up_stack() -> Iterator[UpStack]:
    """Both servers as ``smsim up --memory`` starts them (ports chosen by the system)."""
    sim_config = load_config(None, {"memory": True, "port": 0})
    with SimulatorServer(sim_config) as sim:
        config = ClientConfig(memory=True, twilio_base_url=sim.url, inbox_url=sim.url)
        with ClientServer(config) as client:
            wired = dict(up.wire(sim, client, sim_config.control_token))
            control = ControlClient(sim.url, token=sim_config.control_token)
            yield UpStack(sim, client, control, wired)
