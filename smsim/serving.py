"""Running a WSGI app on waitress in a background thread, and stopping it cleanly.

Shared by the simulator's server, the integration's server and the test receiver, so
the subtle part (shutdown order) is written once.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from waitress.server import create_server


def bind_server(app: Any, host: str, port: int, threads: int, ident: str) -> Any:
    """Bind ``app`` on ``host:port`` (0 picks a free port) without serving yet, so a
    caller can learn ``effective_port`` before it builds what the app needs."""
    return create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        connection_limit=1000,
        channel_timeout=120,
        ident=ident,
        clear_untrusted_proxy_headers=True,
    )


def serve_in_thread(server: Any, ident: str) -> threading.Thread:
    """Run a bound server's loop on a daemon thread."""
    thread = threading.Thread(target=server.run, name=f"{ident}-http", daemon=True)
    thread.start()
    return thread


def start_server(
    app: Any, host: str, port: int, threads: int, ident: str
) -> tuple[Any, threading.Thread]:
    """Bind and serve ``app`` on a thread; returns the server and its thread."""
    server = bind_server(app, host, port, threads, ident)
    return server, serve_in_thread(server, ident)


def stop_server(server: Any, thread: threading.Thread | None) -> None:
    """Stop a server started by :func:`start_server`.

    Worker threads are drained first: a task finishing after the socket map is closed
    would poke a closed trigger, whose fd number may already belong to a newer server
    in the same process. Then the map (listener, keep-alive channels, trigger) is
    closed from inside the server's own loop, so the loop ends at once instead of
    waiting out the channel timeout and no socket is closed under a running ``select``.
    """
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)

    def close_everything() -> None:
        for channel in list(server._map.values()):
            with contextlib.suppress(OSError):
                channel.close()

    if thread is not None and thread.is_alive():
        with contextlib.suppress(OSError):  # the loop may be ending on its own
            server.trigger.pull_trigger(close_everything)
        thread.join(5)
    close_everything()  # whatever the loop did not get to (closing twice is harmless)
