"""The keep-alive connection cache both sides send through: one connection per thread and
host, a socket the peer closed while idle never reused, every connection closed on close."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from smsim.keepalive import ConnectionCache, dropped


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A bare TCP listener on a free port; the test accepts what it needs."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(5)
    try:
        yield server
    finally:
        server.close()


def _port(server: socket.socket) -> int:
    return int(server.getsockname()[1])


def _eventually(predicate: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + 5
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def test_one_thread_reuses_its_connection_and_another_thread_gets_its_own(listener):
    cache = ConnectionCache()
    port = _port(listener)
    first = cache.connection("http", "127.0.0.1", port)
    first.connect()
    accepted, _ = listener.accept()
    assert cache.connection("http", "127.0.0.1", port) is first
    assert first.sock is not None  # still connected: the next request reuses it
    other: list[object] = []
    thread = threading.Thread(
        target=lambda: other.append(cache.connection("http", "127.0.0.1", port))
    )
    thread.start()
    thread.join()
    assert other and other[0] is not first
    cache.close()
    accepted.close()


def test_a_socket_the_peer_closed_while_idle_is_not_handed_out_again(listener):
    cache = ConnectionCache()
    port = _port(listener)
    conn = cache.connection("http", "127.0.0.1", port)
    conn.connect()
    accepted, _ = listener.accept()
    assert conn.sock is not None and not dropped(conn.sock)
    accepted.close()  # the server's idle timeout
    _eventually(lambda: dropped(conn.sock), "the close never reached the client")
    again = cache.connection("http", "127.0.0.1", port)
    assert again is conn and again.sock is None  # the caller connects afresh
    cache.close()


def test_close_closes_the_connections_of_every_thread(listener):
    cache = ConnectionCache()
    port = _port(listener)

    def connect() -> None:
        cache.connection("http", "127.0.0.1", port).connect()

    thread = threading.Thread(target=connect)
    thread.start()
    thread.join()
    accepted, _ = listener.accept()
    accepted.settimeout(5)
    cache.close()
    assert accepted.recv(1) == b""  # the server sees the connection end
    accepted.close()


def test_connections_of_threads_that_ended_are_closed_when_a_new_one_is_made(listener):
    cache = ConnectionCache()
    port = _port(listener)
    thread = threading.Thread(target=lambda: cache.connection("http", "127.0.0.1", port).connect())
    thread.start()
    thread.join()
    accepted, _ = listener.accept()
    accepted.settimeout(5)
    cache.connection("http", "localhost", port)  # a new connection, made by this thread
    assert accepted.recv(1) == b""  # the ended thread's socket did not linger
    accepted.close()
    cache.close()


def test_the_tls_context_is_built_once_and_only_for_https():
    built: list[ssl.SSLContext] = []

    def make() -> ssl.SSLContext:
        built.append(ssl.create_default_context())
        return built[-1]

    cache = ConnectionCache(make_tls=make)
    cache.connection("http", "127.0.0.1", 9)
    assert built == []
    first = cache.connection("https", "127.0.0.1", 9)
    second = cache.connection("https", "localhost", 9)
    assert len(built) == 1
    assert first._context is second._context is built[0]  # type: ignore[attr-defined]
    cache.close()
