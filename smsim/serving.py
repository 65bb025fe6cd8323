"""Running a WSGI app on waitress in a background thread, and stopping it cleanly.

Shared by the simulator's server, the integration's server and the test receiver, so
the subtle parts (where requests run, how many sockets fit, shutdown order) are written
once:

- requests that wait (a long-poll with ``wait=``, a Server-Sent Events stream) never hold
  one of the fixed API worker threads: :class:`SplitDispatcher` gives each its own thread
  from a separate, bounded pool, so a test waiting for an OTP cannot block the very send
  it waits for;
- idle keep-alive sockets cannot starve the server: waitress polls with ``poll()`` (its
  default ``select()`` breaks past 1,024 descriptors), the descriptor limit is raised
  toward the hard limit, the connection limit follows it, a burst of connections is
  accepted in batches, and an idle socket is closed after :data:`IDLE_SECONDS`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import resource
import socket
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from waitress.server import create_server
from waitress.task import ThreadedTaskDispatcher

log = logging.getLogger("smsim.serving")

MAX_WAITERS = 1000  # requests parked at once on the waiter pool; one more gets a 503
IDLE_SECONDS = 30  # an idle keep-alive socket is closed after this (waitress' default: 120)
MAX_CONNECTIONS = 10_000
BACKLOG = 4096  # pending connections the kernel queues (it caps this at somaxconn)
ACCEPT_BATCH = 64  # connections accepted per readiness of the listener
FD_HEADROOM = 256  # descriptors kept for the database, webhooks, pipes and logs
WANTED_FDS = 65_536  # the soft descriptor limit asked for (never above the hard limit)


# -- descriptors ------------------------------------------------------------------------------


def raise_fd_limit(wanted: int = WANTED_FDS) -> int:
    """Raise this process' soft RLIMIT_NOFILE toward ``wanted`` (capped by the hard
    limit); returns the soft limit in force. Many distributions start processes at
    1,024, fewer than the idle sockets one load test opens."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):  # a sandbox may refuse; serve within what we have
            log.warning("could not raise the open-file limit above %d", soft)
    return int(soft) if soft != resource.RLIM_INFINITY else wanted


def connection_limit(fd_limit: int) -> int:
    """How many sockets waitress may hold open: what the descriptors allow, at most
    :data:`MAX_CONNECTIONS`."""
    return max(100, min(MAX_CONNECTIONS, fd_limit - FD_HEADROOM))


# -- which requests wait ----------------------------------------------------------------------


def waits(request: Any) -> bool:
    """Whether a parsed waitress request will park: ``wait`` with a positive number of
    seconds in its query, or ``Accept: text/event-stream`` (what EventSource sends).

    Runs on the server's loop thread for every request, so the common case (no query
    naming ``wait``, no event-stream Accept) costs two substring tests.

    A request waitress could not parse (``error`` set: a header line without a colon, a
    NUL in a header, a garbage request line) never waits: waitress answers it 400 at
    once, and such a parser may lack the attributes a parsed request has (``query``).
    """
    if getattr(request, "error", None) is not None:
        return False
    headers = getattr(request, "headers", None) or {}
    if "text/event-stream" in headers.get("ACCEPT", ""):
        return True
    query = getattr(request, "query", "")
    if not isinstance(query, str):
        return False
    if "wait=" not in query:
        return False
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key == "wait":
            try:
                return float(value) > 0
            except ValueError:
                return False  # the view answers the 400; that takes no time
    return False


class Overloaded:
    """waitress' error response for a waiter beyond :data:`MAX_WAITERS`: Twilio's error
    envelope with 503 and ``Retry-After``, not waitress' plain text. Set as a request's
    ``error``, it is what waitress' ``ErrorTask`` writes (it calls ``to_response``).
    20503 is Twilio's "Service unavailable: try again with back-off"
    (https://www.twilio.com/docs/errors/20503)."""

    code = 503
    reason = "Service Unavailable"

    def __init__(self, body: str) -> None:
        self.body = body

    def to_response(self, ident: str | None = None) -> tuple[str, list[tuple[str, str]], bytes]:
        body = {
            "code": 20503,
            "message": self.body,
            "more_info": "https://www.twilio.com/docs/errors/20503",
            "status": 503,
        }
        headers = [("Content-Type", "application/json"), ("Retry-After", "1")]
        return f"{self.code} {self.reason}", headers, json.dumps(body).encode("utf-8")


# -- the dispatcher ---------------------------------------------------------------------------


class SplitDispatcher:
    """A waitress task dispatcher with two pools.

    Everything runs on waitress' fixed pool of ``api_threads`` except requests that wait
    (see :func:`waits`): each of those gets a thread of its own, at most ``max_waiters`` at
    once; beyond that the request is answered 503 at once. A waiter's thread ends with its
    request (a parked request costs a thread anyway; starting one is ~0.1 ms, nothing next
    to the wait). waitress hands over a channel whose first queued request is the one the
    task will serve, so routing needs no parsing of its own.

    ``release`` is called first on :meth:`shutdown` so that the app can wake its parked
    requests (they then answer with what they have) before their threads are joined.
    """

    def __init__(
        self,
        api_threads: int,
        max_waiters: int = MAX_WAITERS,
        release: Callable[[], None] | None = None,
    ) -> None:
        self.api = ThreadedTaskDispatcher()
        self.api.set_thread_count(api_threads)
        self.max_waiters = max_waiters
        self.release = release
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self._waiters: set[threading.Thread] = set()
        self._closing = False
        self._number = 0

    @property
    def waiting(self) -> int:
        """Requests on the waiter pool right now."""
        with self._lock:
            return len(self._waiters)

    def set_thread_count(self, count: int) -> None:
        self.api.set_thread_count(count)

    def add_task(self, task: Any) -> None:
        requests = getattr(task, "requests", None)
        if not requests or not self._waits(requests[0]):
            self.api.add_task(task)
            return
        with self._lock:
            refused = self._closing or len(self._waiters) >= self.max_waiters
            if not refused:
                self._number += 1
                thread = threading.Thread(
                    target=self._serve_waiter,
                    args=(task,),
                    name=f"smsim-waiter-{self._number}",
                    daemon=True,
                )
                self._waiters.add(thread)
        if refused:
            requests[0].error = Overloaded(
                f"Too many waiting requests (at most {self.max_waiters} at once); retry later"
            )
            self.api.add_task(task)  # writing the 503 is instant
            return
        thread.start()

    @staticmethod
    def _waits(request: Any) -> bool:
        """:func:`waits`, but never raising: this runs on waitress' loop thread, where an
        exception closes the connection without an answer. A request the classifier
        cannot read is served on the API pool, which answers it (400 for a request
        waitress could not parse, whatever the app says otherwise)."""
        try:
            return waits(request)
        except Exception:
            log.exception("could not classify a request; serving it on the API pool")
            return False

    def _serve_waiter(self, task: Any) -> None:
        try:
            task.service()
        except BaseException:
            log.exception("Exception when servicing %r", task)
        finally:
            with self._lock:
                self._waiters.discard(threading.current_thread())
                self._done.notify_all()

    def shutdown(self, cancel_pending: bool = True, timeout: float = 5) -> bool:
        """Wake the parked requests, drain the API pool, then wait (within ``timeout``
        in all) for the waiters' threads to end."""
        deadline = time.monotonic() + timeout
        with self._lock:
            self._closing = True
        if self.release is not None:
            self.release()
        self.api.shutdown(cancel_pending=cancel_pending, timeout=timeout)
        with self._lock:
            while self._waiters:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    log.warning("%d waiting request(s) still running", len(self._waiters))
                    return False
                self._done.wait(remaining)
        return True


# -- accepting --------------------------------------------------------------------------------


def accept_in_batches(server: Any, batch: int = ACCEPT_BATCH) -> None:
    """Make the server's listening sockets accept up to ``batch`` connections each time
    they are readable, instead of waitress' one.

    Every turn of waitress' loop visits every open channel, so accepting one connection
    per turn made a burst of 2,000 connections cost 2,000 turns of a growing map (seconds
    of quadratic work while the kernel's queue overflowed and dropped new connections).
    """
    listeners = [c for c in server._map.values() if getattr(c, "accepting", False)]
    for listener in listeners:
        accept_one = listener.handle_accept

        def handle_accept(listener: Any = listener, accept_one: Any = accept_one) -> None:
            for _ in range(batch):
                before = len(listener._map)
                accept_one()
                if len(listener._map) == before:  # nothing was waiting (or it failed)
                    return

        listener.handle_accept = handle_accept


@functools.cache
def status_line(code: int) -> str:
    """The WSGI status line werkzeug writes for ``code`` (``201 CREATED``), for the fast
    paths that answer without it."""
    return f"{code} {HTTPStatus(code).phrase.upper()}"


def url_for(host: str, port: int) -> str:
    """``http://host:port`` a client on this machine can open: a wildcard bind address
    (``0.0.0.0``, ``::``, empty) names no host, so the URL uses the loopback one."""
    shown = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}"


# -- binding, serving, stopping ---------------------------------------------------------------


def bind_server(
    app: Any,
    host: str,
    port: int,
    threads: int,
    ident: str,
    *,
    max_waiters: int = MAX_WAITERS,
    release: Callable[[], None] | None = None,
    sock: socket.socket | None = None,
) -> Any:
    """Bind ``app`` on ``host:port`` (0 picks a free port) without serving yet, so a
    caller can learn ``effective_port`` before it builds what the app needs.

    ``threads`` API workers; waiting requests on their own pool (:class:`SplitDispatcher`,
    ``release`` wakes them on stop). With ``sock`` (a listening socket a parent process
    bound, :mod:`smsim.prefork`), accept on it instead of binding."""
    where: dict[str, Any] = (
        {"sockets": [sock]} if sock is not None else {"host": host, "port": port}
    )
    server = create_server(
        app,
        **where,
        threads=threads,
        connection_limit=connection_limit(raise_fd_limit()),
        channel_timeout=IDLE_SECONDS,
        asyncore_use_poll=True,
        backlog=BACKLOG,
        ident=ident,
        clear_untrusted_proxy_headers=True,
        # waitress' seam for the dispatcher (its default one cannot route)
        _dispatcher=SplitDispatcher(threads, max_waiters, release),
    )
    accept_in_batches(server)
    return server


def serve_in_thread(server: Any, ident: str) -> threading.Thread:
    """Run a bound server's loop on a daemon thread."""
    thread = threading.Thread(target=server.run, name=f"{ident}-http", daemon=True)
    thread.start()
    return thread


def start_server(
    app: Any,
    host: str,
    port: int,
    threads: int,
    ident: str,
    *,
    max_waiters: int = MAX_WAITERS,
    release: Callable[[], None] | None = None,
) -> tuple[Any, threading.Thread]:
    """Bind and serve ``app`` on a thread; returns the server and its thread."""
    server = bind_server(app, host, port, threads, ident, max_waiters=max_waiters, release=release)
    return server, serve_in_thread(server, ident)


def stop_server(server: Any, thread: threading.Thread | None) -> None:
    """Stop a server started by :func:`start_server`.

    Worker threads are drained first (parked waiters are woken to answer): a task
    finishing after the socket map is closed would poke a closed trigger, whose fd number
    may already belong to a newer server in the same process. Then the map (listener,
    keep-alive channels, trigger) is closed from inside the server's own loop, so the loop
    ends at once instead of waiting out the channel timeout and no socket is closed under
    a running ``poll``.
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
