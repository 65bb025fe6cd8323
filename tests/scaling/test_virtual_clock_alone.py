"""The virtual clock lives in one process, so on PostgreSQL it runs alone: a second
instance beside it is refused, with a message that says why, and exit 2 from the CLI."""

from __future__ import annotations

import subprocess
import sys

import pytest

from smsim.migrations import DatabaseRefused
from smsim.simulator.config import SimulatorConfig
from smsim.simulator.engine import Engine


def test_a_second_instance_beside_a_virtual_clock_is_refused_until_it_stops(postgres_url):
    virtual = SimulatorConfig(db_path=postgres_url, clock="virtual")
    owner = Engine(virtual)
    try:
        with pytest.raises(DatabaseRefused, match="virtual clock runs one instance"):
            Engine(virtual)
        with pytest.raises(DatabaseRefused, match="instance on the virtual clock"):
            Engine(virtual.with_overrides(clock="real"))
    finally:
        owner.close()
    Engine(virtual).close()  # its lock went with it


def test_a_virtual_clock_beside_running_instances_is_refused(postgres_url):
    real = Engine(SimulatorConfig(db_path=postgres_url, clock="real"))
    try:
        also_real = Engine(SimulatorConfig(db_path=postgres_url, clock="real"))
        also_real.close()  # real-clock instances share the database
        with pytest.raises(DatabaseRefused, match="in use by another smsim instance"):
            Engine(SimulatorConfig(db_path=postgres_url, clock="virtual"))
    finally:
        real.close()


def test_smsim_serve_on_a_virtual_clock_in_use_exits_2_saying_why(postgres_url):
    owner = Engine(SimulatorConfig(db_path=postgres_url, clock="virtual"))
    try:
        result = subprocess.run(
            [sys.executable, "-m", "smsim", "serve", "--port", "0", "--db", postgres_url],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        owner.close()
    assert result.returncode == 2
    assert "instance on the virtual clock" in result.stderr
    assert "Traceback" not in result.stderr
