"""Starting the engine of an app that owns it, for WSGI servers that only call the app.

``smsim serve`` and :class:`~smsim.simulator.server.SimulatorServer` start and stop their
engine themselves. An app built by ``create_app()`` alone (``waitress-serve --call
smsim:create_app``, gunicorn) has nobody to do that, and without a running scheduler every
message would stay ``queued`` forever. So such an app starts its engine's background work
on its first request, exactly once in the process that serves it (after any fork of a
pre-loading server, so the scheduler's threads live in the worker), and closes the engine
when that process exits.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable

from smsim.simulator.engine import Engine


class StartOnFirstRequest:
    """A ``before_request`` hook: the first call starts ``engine``; later calls cost one
    attribute read."""

    def __init__(self, engine: Engine, before_close: Callable[[], None]) -> None:
        self._engine = engine
        self._before_close = before_close
        self._lock = threading.Lock()
        self.started = False

    def __call__(self) -> None:
        if self.started:
            return
        with self._lock:
            if self.started:
                return
            self._engine.start()
            atexit.register(self.close)
            self.started = True

    def close(self) -> None:
        """Wake parked requests, stop the scheduler and close the store (at exit)."""
        with self._lock:
            if not self.started:
                return
            self.started = False
            atexit.unregister(self.close)
        self._before_close()
        self._engine.close()
