"""Keep-alive ``http.client`` connections for smsim's own outgoing requests.

Both sides of smsim send many small requests to one host: the simulator its webhooks, the
bundled client its Create Message POSTs. Through ``requests`` most of the CPU of such a
request is spent in the library, not on the wire; a plain ``http.client`` connection kept
alive costs a fraction of it (the figures are in ``smsim.simulator.webhooks`` and
``smsim.client.twilio_rest``). This module holds the part both need and both must get
right: one connection per thread and (scheme, host, port), reused request after request,
and the check that an idle kept-alive socket was not closed by the peer in the meantime (a
server's idle timeout), so that a request is never written into a dead socket.

An ``http.client`` connection is not thread-safe, hence one per thread: the lookup is a
dictionary read in a thread-local, no lock on the way of a request.
"""

from __future__ import annotations

import http.client
import select
import ssl
import threading
from collections.abc import Callable
from typing import Any


class ConnectionCache:
    """This thread's keep-alive connection to a host, made on first use.

    :meth:`connection` hands back a connection whose socket, if it has one, was not
    closed by the peer while idle; with none (``conn.sock is None``), the caller connects
    it with its own connect timeout. The TLS context is built on the first https
    connection only: loading a CA store costs ~0.1 s, paid for nothing when every host is
    plain http (all of a test suite's). :meth:`close` closes the connections of every
    thread.
    """

    def __init__(
        self,
        tls: ssl.SSLContext | None = None,
        *,
        make_tls: Callable[[], ssl.SSLContext] = ssl.create_default_context,
    ) -> None:
        self._local = threading.local()
        self._tls = tls
        self._make_tls = make_tls
        self._lock = threading.Lock()
        # every connection handed out, with the thread that owns it: close() reaches all
        # of them, and those of threads that ended are closed when the next one is made
        self._opened: list[tuple[threading.Thread, http.client.HTTPConnection]] = []

    def connection(self, scheme: str, host: str, port: int) -> http.client.HTTPConnection:
        """This thread's connection to ``scheme://host:port`` (``https`` or ``http``),
        its socket closed first when the peer dropped it while it was idle."""
        conns: dict[tuple[str, str, int], http.client.HTTPConnection] = (
            self._local.__dict__.setdefault("conns", {})
        )
        key = (scheme, host, port)
        conn = conns.get(key)
        if conn is None:
            conn = conns[key] = self._new(scheme, host, port)
        elif conn.sock is not None and dropped(conn.sock):
            conn.close()
        return conn

    def close(self) -> None:
        """Close every thread's connections; a later request opens new ones."""
        with self._lock:
            opened, self._opened = self._opened, []
            self._local = threading.local()
        for _, conn in opened:
            conn.close()

    def _new(self, scheme: str, host: str, port: int) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection
        if scheme == "https":
            conn = http.client.HTTPSConnection(host, port, context=self._context())
        else:
            conn = http.client.HTTPConnection(host, port)
        with self._lock:
            ended = [entry for entry in self._opened if not entry[0].is_alive()]
            self._opened = [entry for entry in self._opened if entry[0].is_alive()]
            self._opened.append((threading.current_thread(), conn))
        for _, old in ended:
            old.close()
        return conn

    def _context(self) -> ssl.SSLContext:
        with self._lock:
            if self._tls is None:
                self._tls = self._make_tls()
            return self._tls


def dropped(sock: Any) -> bool:
    """True when an idle keep-alive socket is readable: the peer closed it (or broke
    protocol), so it must not carry the next request."""
    try:
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True
