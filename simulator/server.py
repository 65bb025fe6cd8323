"""An embeddable simulator: a waitress server on a thread, port 0 by default.

    with SimulatorServer(SimulatorConfig(memory=True, clock="virtual", port=0)) as sim:
        requests.get(sim.url + "/_smsim/health")

The same object backs ``smsim serve`` (in the foreground) and the pytest plugin.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from types import TracebackType
from typing import Any

from smsim.serving import start_server, stop_server, url_for
from smsim.simulator.config import SimulatorConfig
from smsim.simulator.engine import Engine
from smsim.simulator.http.app import create_app, release_waiters
from smsim.simulator.http.context import bind_waiting_count


class SimulatorServer:
    """A running simulator on a real socket."""

    def __init__(self, config: SimulatorConfig | None = None, **overrides: Any) -> None:
        base = config or SimulatorConfig(memory=True, port=0)
        self.config = base.with_overrides(**overrides) if overrides else base
        self.engine: Engine | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://host:port`` of the running server."""
        if self._server is None:
            raise RuntimeError("the simulator is not running; call start() first")
        return url_for(self.config.host, self._server.effective_port)

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    @property
    def running(self) -> bool:
        """Whether the server's loop is serving."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def waiting_requests(self) -> int:
        """Requests parked on the waiter pool now (long-polls, event streams)."""
        return int(self._server.task_dispatcher.waiting) if self._server is not None else 0

    def link_dashboard(self, url: str) -> None:
        """Show the client's dashboard at ``url`` in the inbox (its nav, campaign links):
        for ``smsim up``, which knows the dashboard's URL only once the client, started
        after the simulator it sends through, is bound."""
        self.config = replace(self.config, dashboard_url=url)
        if self.engine is not None:
            self.engine.config = self.config

    def start(self) -> SimulatorServer:
        self.engine = Engine(self.config)
        app = create_app(engine=self.engine)
        self.engine.start()
        self._server, self._thread = start_server(
            app,
            self.config.host,
            self.config.port,
            self.config.http_threads,
            "smsim",
            release=lambda: release_waiters(app),
        )
        bind_waiting_count(app, lambda: self.waiting_requests)
        return self

    def stop(self) -> None:
        if self._server is not None:
            stop_server(self._server, self._thread)
            self._server = None
            self._thread = None
        if self.engine is not None:
            self.engine.close()
            self.engine = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
