"""An embeddable server for the integration: start/stop, port 0, context manager.

The socket is bound before the app is built, so that when no public URL is configured
the integration can use its own URL (with the real port) for the default callback URL
and for short links.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from types import TracebackType
from typing import Any

import waitress
from flask import Flask

from smsim.client.app import create_app
from smsim.client.config import ClientConfig
from smsim.client.facade import Integration


class ClientServer:
    """Runs the integration's app with waitress in a daemon thread."""

    def __init__(
        self, config: ClientConfig, *, host: str = "127.0.0.1", port: int = 0, threads: int = 8
    ) -> None:
        self.config = config
        self.host = host
        self.port = port
        self.threads = threads
        self.app: Flask | None = None
        self.effective_port: int | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        assert self.app is not None
        return self.app(environ, start_response)

    @property
    def url(self) -> str:
        """The base URL the server listens on."""
        if self.effective_port is None:
            raise RuntimeError("server not started")
        return f"http://{self.host}:{self.effective_port}"

    @property
    def integration(self) -> Integration:
        """The running Integration (the Python API behind the HTTP endpoints)."""
        if self.app is None:
            raise RuntimeError("server not started")
        return self.app.extensions["smsim_client"]

    def start(self) -> ClientServer:
        """Bind, build the app, and serve in a background thread."""
        self._server = waitress.create_server(
            self._wsgi, host=self.host, port=self.port, threads=self.threads, ident="smsim-client"
        )
        self.effective_port = int(self._server.effective_port)
        if not self.config.public_url:
            self.config = replace(self.config, public_url=self.url)
        self.app = create_app(self.config)
        self._thread = threading.Thread(
            target=self._server.run, name=f"smsim-client:{self.effective_port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the integration's resources.

        Worker threads are drained first: a waitress task finishing after the socket map is
        closed would poke a closed trigger (and its fd number may already belong to a
        newer server in the same process). Then every channel is closed from inside the
        server's loop, which ends the loop at once.
        """
        server, self._server = self._server, None
        if server is None:
            return
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)

        def close_all() -> None:
            for channel in list(server._map.values()):
                channel.close()

        server.trigger.pull_trigger(close_all)
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.app is not None:
            self.integration.close()

    def __enter__(self) -> ClientServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
