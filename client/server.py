"""An embeddable server for the integration: start/stop, port 0, context manager.

The socket is bound before the app is built, so that when no public URL is configured
the integration can use its own URL (with the real port) for the default callback URL
and for short links.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from types import TracebackType
from typing import Any, cast

from flask import Flask

from smsim.client.app import create_app
from smsim.client.config import ClientConfig
from smsim.client.integration import Integration
from smsim.serving import bind_server, serve_in_thread, stop_server, url_for


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
        return url_for(self.host, self.effective_port)

    @property
    def integration(self) -> Integration:
        """The running Integration (the Python API behind the HTTP endpoints)."""
        if self.app is None:
            raise RuntimeError("server not started")
        return cast(Integration, self.app.extensions["smsim_client"])

    def reset_integration(self) -> Integration:
        """Swap in a fresh Integration (a new store: no providers, campaigns or events)
        on the running server, closing the old one, so a server can be reused between
        independent runs (scenarios) without rebuilding its app."""
        if self.app is None:
            raise RuntimeError("server not started")
        old = self.integration
        fresh = Integration(self.config)
        self.app.extensions["smsim_client"] = fresh
        old.close()
        return fresh

    @property
    def running(self) -> bool:
        """Whether the server's loop is serving."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> ClientServer:
        """Bind, build the app, and serve in a background thread."""
        self._server = bind_server(
            self._wsgi,
            self.host,
            self.port,
            self.threads,
            "smsim-client",
            release=self._release_waiters,
        )
        self.effective_port = int(self._server.effective_port)
        if self.config.bind_host != self.host:
            self.config = replace(self.config, bind_host=self.host)
        if not self.config.public_url:
            self.config = replace(self.config, public_url=self.url)
        self.app = create_app(self.config)
        self._thread = serve_in_thread(self._server, f"smsim-client:{self.effective_port}")
        self.integration.resume_campaigns()
        return self

    def _release_waiters(self) -> None:
        """Wake the requests parked on a campaign's ``?wait=`` so stopping does not wait
        out their timeout."""
        if self.app is not None:
            self.integration.runner.release_waiters()

    def stop(self) -> None:
        """Stop serving (see :func:`smsim.serving.stop_server`) and close the integration."""
        server, self._server = self._server, None
        if server is None:
            return
        stop_server(server, self._thread)
        self._thread = None
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
