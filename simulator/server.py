"""An embeddable simulator: a waitress server on a thread, port 0 by default.

    with SimulatorServer(SimulatorConfig(memory=True, clock="virtual", port=0)) as sim:
        requests.get(sim.url + "/_smsim/health")

The same object backs ``smsim serve`` (in the foreground) and the pytest plugin.
"""

from __future__ import annotations

import contextlib
import threading
from types import TracebackType
from typing import Any

from waitress.server import create_server

from smsim.simulator.config import SimulatorConfig
from smsim.simulator.engine import Engine
from smsim.simulator.http.app import create_app


def close_server(server: Any, thread: threading.Thread | None) -> None:
    """Stop a waitress server started on ``thread``.

    Its socket map (listener, keep-alive channels, trigger) is closed from inside the
    server's own loop via its trigger, so the loop ends at once instead of waiting out
    the channel timeout, and no socket is closed under a running ``select``.
    """

    def close_everything() -> None:
        for channel in list(server._map.values()):
            with contextlib.suppress(OSError):
                channel.close()

    if thread is not None and thread.is_alive():
        with contextlib.suppress(OSError):  # the loop may be ending on its own
            server.trigger.pull_trigger(close_everything)
        thread.join(5)
    close_everything()  # whatever the loop did not get to (closing twice is harmless)
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)


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
        host = self.config.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self._server.effective_port}"

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    def start(self) -> SimulatorServer:
        self.engine = Engine(self.config)
        app = create_app(engine=self.engine)
        self._server = create_server(
            app,
            host=self.config.host,
            port=self.config.port,
            threads=self.config.threads,
            connection_limit=1000,
            channel_timeout=120,
            ident="smsim",
            clear_untrusted_proxy_headers=True,
        )
        self.engine.start()
        self._thread = threading.Thread(target=self._server.run, name="smsim-http", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Run in the foreground (``smsim serve``) until interrupted."""
        if self._server is None:
            self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    def stop(self) -> None:
        if self._server is not None:
            close_server(self._server, self._thread)
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
