"""Warm servers, reused between scenarios after a reset.

Building a simulator's or a client's app costs more than most scenarios that use it
(the web framework compiles every route), so a process keeps the servers its scenarios
have finished with and hands them to the next scenario reset to empty:

- the simulator through ``POST /_smsim/reset``, which empties every table (only the
  virtual clock, which never goes back, keeps its time);
- the client by giving its app a new :class:`~smsim.client.integration.Integration` with a
  new memory store (the one the client's server would build), closing the old one.

A client is tied to the simulator it sends to, so they are kept as a pair; servers are
only reused for the same configuration, and a pair that fails to reset is stopped.
Each pytest-xdist worker, and each ``smsim run`` worker process, has its own pool.
"""

from __future__ import annotations

import atexit
import threading
from dataclasses import dataclass
from typing import Any

import requests

CLIENT_ACCOUNT_ID = "smsim-scenarios"


@dataclass
class Lease:
    """A simulator, and the client integration sending to it (None when not needed)."""

    simulator: Any
    client: Any = None

    @property
    def key(self) -> tuple[Any, ...]:
        return _key(self.simulator.config, self.client is not None)


_lock = threading.Lock()
_idle: dict[tuple[Any, ...], list[Lease]] = {}
_all: list[Lease] = []


def acquire(config: Any, *, with_client: bool) -> Lease:
    """Running servers for ``config`` (a SimulatorConfig): reset idle ones, or new."""
    key = _key(config, with_client)
    with _lock:
        idle = _idle.get(key)
        if idle:
            return idle.pop()
    from smsim.simulator.server import SimulatorServer

    lease = Lease(SimulatorServer(config).start())
    if with_client:
        from smsim.client.config import ClientConfig
        from smsim.client.server import ClientServer

        # The client's back-off from throttled sends is wall time, not the scenario's
        # virtual time: keep it short so a "queue full" scenario does not wait seconds.
        client_config = ClientConfig(
            memory=True,
            twilio_base_url=lease.simulator.url,
            account_id=CLIENT_ACCOUNT_ID,
            retry_backoff=0.05,
        )
        try:
            lease.client = ClientServer(client_config).start()
        except BaseException:
            lease.simulator.stop()
            raise
    with _lock:
        _all.append(lease)
    return lease


def release(lease: Lease) -> None:
    """Reset the servers and keep them for the next scenario (stop them if that fails)."""
    try:
        with requests.Session() as session:
            session.trust_env = False  # loopback: never through a proxy
            session.post(f"{lease.simulator.url}/_smsim/reset", timeout=10).raise_for_status()
        if lease.client is not None:
            _fresh_integration(lease.client)
    except Exception:  # a server that cannot be reset is not reused
        _discard(lease)
        return
    with _lock:
        _idle.setdefault(lease.key, []).append(lease)


def _fresh_integration(client: Any) -> None:
    client.reset_integration()


def _discard(lease: Lease) -> None:
    with _lock:
        if lease in _all:
            _all.remove(lease)
    _stop(lease)


def _stop(lease: Lease) -> None:
    if lease.client is not None:
        lease.client.stop()
    lease.simulator.stop()


def _key(config: Any, with_client: bool) -> tuple[Any, ...]:
    return (config.carrier_profile, config.seed, config.clock, config.threads, with_client)


@atexit.register
def close_all() -> None:
    """Stop every pooled server (at exit, or when a caller wants them gone)."""
    with _lock:
        leases = list(_all)
        _all.clear()
        _idle.clear()
    for lease in leases:
        _stop(lease)
