"""Warm simulators, reused between scenarios after a reset.

Building a simulator's app costs far more than the scenario that uses it (the web
framework compiles every route), so a process keeps the simulators its scenarios have
finished with and hands them to the next scenario after ``POST /_smsim/reset``, which
empties every table: the next scenario starts from an empty store exactly as from a
new simulator (only the virtual clock, which never goes back, keeps its time). A
simulator is only reused for the same configuration, and one that failed to reset is
stopped instead. Each pytest-xdist worker has its own pool.
"""

from __future__ import annotations

import atexit
import threading
from typing import Any

import requests

_lock = threading.Lock()
_idle: dict[tuple[Any, ...], list[Any]] = {}
_all: list[Any] = []


def acquire(config: Any) -> Any:
    """A running simulator for ``config`` (a SimulatorConfig): a reset idle one, or new."""
    key = _key(config)
    with _lock:
        idle = _idle.get(key)
        if idle:
            return idle.pop()
    from smsim.simulator.server import SimulatorServer

    server = SimulatorServer(config).start()
    with _lock:
        _all.append(server)
    return server


def release(server: Any) -> None:
    """Reset ``server`` and keep it for the next scenario (stop it if the reset fails)."""
    try:
        with requests.Session() as session:
            session.trust_env = False  # loopback: never through a proxy
            session.post(f"{server.url}/_smsim/reset", timeout=10).raise_for_status()
    except (requests.RequestException, RuntimeError):
        _discard(server)
        return
    with _lock:
        _idle.setdefault(_key(server.config), []).append(server)


def _discard(server: Any) -> None:
    with _lock:
        if server in _all:
            _all.remove(server)
        for idle in _idle.values():
            if server in idle:
                idle.remove(server)
    server.stop()


def _key(config: Any) -> tuple[Any, ...]:
    return (config.carrier_profile, config.seed, config.clock, config.threads)


@atexit.register
def close_all() -> None:
    """Stop every pooled simulator (at exit, or when a caller wants them gone)."""
    with _lock:
        servers = list(_all)
        _all.clear()
        _idle.clear()
    for server in servers:
        server.stop()
