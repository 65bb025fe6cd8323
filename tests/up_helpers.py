"""``smsim up`` in-process for tests: the simulator (real clock, in memory) and the client,
wired exactly as the command wires them (same provisioning), on free ports."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
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


def start_up_process(
    *extra: str, cwd: Path | None = None
) -> tuple[subprocess.Popen[str], str, str, str]:
    """``smsim up --memory`` of this checkout as a child process on free ports (the
    client's unless ``extra`` says otherwise), with none of the caller's ``SMSIM_*``
    variables: the process, its banner, the client's URL and the simulator's."""
    command = [sys.executable, "-m", "smsim", "up", "--memory", "--sim-port", "0"]
    if "--client-port" not in extra and "--client-config" not in extra:
        command += ["--client-port", "0"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSIM_")}
    env.update(PYTHONPATH=str(Path(__file__).resolve().parents[1]), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [*command, *extra],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if "Ctrl-C stops both" in line:
            break
    banner = "".join(lines)
    client = re.search(r"client dashboard\s+(http://\S+)/", banner)
    sim = re.search(r"simulator inbox\s+(http://\S+)/", banner)
    assert client and sim, banner
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    return proc, banner, client.group(1), sim.group(1)
