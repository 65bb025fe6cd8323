"""The injected clock.

Nothing in the engine calls ``time.time`` or ``time.sleep`` directly: it asks a clock.

- ``RealClock`` follows wall time. Waiting is done on a condition variable so that a
  newly scheduled, earlier job wakes the scheduler at once.
- ``VirtualClock`` only moves when told (``advance`` / ``run-until-idle`` on the control
  API); tests use it and never sleep.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """What the engine needs from time."""

    virtual: bool

    def now(self) -> float:
        """Seconds since the epoch (UTC)."""
        ...


class RealClock:
    """Wall time."""

    virtual = False

    def now(self) -> float:
        return time.time()

    def wait(self, condition: threading.Condition, until: float | None) -> None:
        """Block on ``condition`` (held by the caller) until ``until`` or a notify."""
        timeout = None if until is None else max(0.0, until - time.time())
        condition.wait(timeout if timeout is None else min(timeout, 5.0))


class VirtualClock:
    """Time that moves only when the engine is told to move it."""

    virtual = True

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._now

    def set(self, instant: float) -> None:
        """Move to ``instant``; time never goes backwards."""
        with self._lock:
            if instant > self._now:
                self._now = instant


def make_clock(kind: str, start: float | None = None) -> RealClock | VirtualClock:
    """Build the clock named by ``--clock``."""
    if kind == "virtual":
        return VirtualClock(start)
    if kind == "real":
        return RealClock()
    raise ValueError(f"clock must be 'real' or 'virtual', not {kind!r}")
