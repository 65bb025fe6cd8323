"""Waiters and idle sockets: how fast `smsim serve` answers while long-polls are parked
and idle connections are open, and how fast a stop ends them.

    python bench/waiters.py [--quick] [--waiters N] [--idle N] [--creates N]

Each part runs its own `smsim serve --memory` process as users run it:

1. **creates with waiters** — ``--creates`` sequential creates (one keep-alive client)
   with no long-poll open, then again with ``--waiters`` (default 100) long-polls
   ``GET /_smsim/messages?to=..&wait=120`` parked (counted by ``waiting_requests`` in
   ``GET /_smsim/health``); then one create to the waiters' number and the time until
   every waiter has answered with it.
2. **SIGTERM with waiters** — the same number of long-polls parked, then SIGTERM: the
   time until the process has exited (each waiter answered).
3. **idle sockets** — ``--idle`` (default 2,000: past select()'s 1,024 descriptors)
   connections opened and left idle, then the first health check (served behind the
   accept backlog), 10 more, and ``--creates`` creates.

The tests (tests/serving/) prove that these answer at all, and why; this prints how fast.
Targets: creates with waiters within 250 ms of the median without and under 2 s at worst;
every waiter answered within 5 s of the create; SIGTERM exit within 5 s; with the idle
sockets open the first health check within 8 s and then health and creates at a median
under 500 ms.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import socket
import sys
import threading
import time
from typing import Any
from urllib.parse import quote, urlsplit

import _common as c

from smsim.serving import raise_fd_limit

NUMBER = "+14155550123"
WAIT = 120  # longer than any part runs: an answer is never a waiter's own timeout


def _port(server: c.Serve) -> int:
    port = urlsplit(server.url).port
    assert port is not None
    return port


def _creates(server: c.Serve, count: int, to: str = "+14155550100") -> list[float]:
    """Seconds each of ``count`` sequential creates took on one keep-alive connection."""
    sid, token = server.full_account
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode(),
    }
    conn = http.client.HTTPConnection(c.HOST, _port(server), timeout=60)
    took = []
    for n in range(count):
        body = f"To={quote(to)}&From=%2B15005550006&Body=bench+{n}"
        began = time.perf_counter()
        conn.request("POST", f"/2010-04-01/Accounts/{sid}/Messages.json", body, headers)
        response = conn.getresponse()
        response.read()
        took.append(time.perf_counter() - began)
        if response.status != 201:
            raise RuntimeError(f"create answered {response.status}")
    conn.close()
    return took


def _health(server: c.Serve) -> dict[str, Any]:
    return dict(c.get_json(f"{server.url}/_smsim/health"))


def _park(server: c.Serve, count: int) -> list[http.client.HTTPConnection]:
    """``count`` long-polls sent and parked (answers not read)."""
    connections = []
    for _ in range(count):
        conn = http.client.HTTPConnection(c.HOST, _port(server), timeout=WAIT + 30)
        conn.request("GET", f"/_smsim/messages?to={quote(NUMBER)}&wait={WAIT}")
        connections.append(conn)
    if not c.wait_until(lambda: _health(server)["waiting_requests"] == count, 30):
        raise RuntimeError(f"the {count} long-polls did not all park")
    return connections


def _read_all(connections: list[http.client.HTTPConnection]) -> list[Any]:
    out = []
    for conn in connections:
        response = conn.getresponse()
        out.append(json.loads(response.read()))
        conn.close()
    return out


def _ms(values: list[float]) -> tuple[float, float]:
    return c.median(values) * 1000, max(values) * 1000


def creates_with_waiters(waiters: int, creates: int) -> dict[str, float]:
    server = c.Serve("--memory")
    try:
        _creates(server, 5)  # warm up
        without = _creates(server, creates)
        parked = _park(server, waiters)
        with_waiters = _creates(server, creates)
        answered: list[Any] = []
        reader = threading.Thread(target=lambda: answered.extend(_read_all(parked)))
        began = time.perf_counter()
        _creates(server, 1, to=NUMBER)
        reader.start()
        reader.join(WAIT + 30)
        woke = time.perf_counter() - began
        if len(answered) != waiters or not all(body["messages"] for body in answered):
            raise RuntimeError("not every waiter answered with the message")
    finally:
        server.stop()
    return {
        "without_p50": _ms(without)[0],
        "without_max": _ms(without)[1],
        "with_p50": _ms(with_waiters)[0],
        "with_max": _ms(with_waiters)[1],
        "woke": woke * 1000,
    }


def sigterm_with_waiters(waiters: int) -> float:
    server = c.Serve("--memory")
    try:
        parked = _park(server, waiters)
        began = time.perf_counter()
        server.proc.terminate()
        server.proc.wait(60)
        took = time.perf_counter() - began
        _read_all(parked)
    finally:
        server.stop()
    return took * 1000


def idle_sockets(idle: int, creates: int) -> dict[str, float]:
    if raise_fd_limit() < idle + 200:
        raise RuntimeError(f"this needs {idle + 200} open files; raise `ulimit -n`")
    server = c.Serve("--memory")
    sockets: list[socket.socket] = []
    try:
        for _ in range(idle):
            sockets.append(socket.create_connection((c.HOST, _port(server)), timeout=10))
        began = time.perf_counter()
        _health(server)
        first = time.perf_counter() - began
        health = []
        for _ in range(10):
            began = time.perf_counter()
            _health(server)
            health.append(time.perf_counter() - began)
        made = _creates(server, creates)
    finally:
        for sock in sockets:
            sock.close()
        server.stop()
    return {
        "first": first * 1000,
        "health_p50": _ms(health)[0],
        "health_max": _ms(health)[1],
        "create_p50": _ms(made)[0],
        "create_max": _ms(made)[1],
    }


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer creates and idle sockets")
    parser.add_argument("--waiters", type=int, default=100, help="parked long-polls")
    parser.add_argument("--idle", type=int, help="idle sockets (default 2,000; --quick 1,100)")
    parser.add_argument("--creates", type=int, help="timed creates (default 50; --quick 20)")
    args = parser.parse_args(argv)
    idle = args.idle or (1_100 if args.quick else 2_000)
    creates = args.creates or (20 if args.quick else 50)

    c.header(f"Waiters and idle sockets: {args.waiters} long-polls, {idle:,} idle sockets")
    polls = creates_with_waiters(args.waiters, creates)
    stop = sigterm_with_waiters(args.waiters)
    quiet = idle_sockets(idle, creates)
    print(
        c.table(
            [
                ["create, no waiters", creates, polls["without_p50"], polls["without_max"]],
                [f"create, {args.waiters} waiters", creates, polls["with_p50"], polls["with_max"]],
                [f"all {args.waiters} waiters answered", 1, polls["woke"], polls["woke"]],
                [f"SIGTERM to exit, {args.waiters} waiters", 1, stop, stop],
                [f"first health, {idle:,} idle", 1, quiet["first"], quiet["first"]],
                [f"health, {idle:,} idle", 10, quiet["health_p50"], quiet["health_max"]],
                [f"create, {idle:,} idle", creates, quiet["create_p50"], quiet["create_max"]],
            ],
            ["request", "n", "median ms", "max ms"],
        )
    )
    slower = polls["with_p50"] - polls["without_p50"]
    print(
        f"\ntarget  : creates with waiters within 250 ms of the median and under 2 s -> "
        f"{slower:+.1f} ms, max {polls['with_max']:.1f} ms, "
        f"{_verdict(slower < 250 and polls['with_max'] < 2000)}"
    )
    print(
        f"target  : waiters answered < 5 s -> {polls['woke']:.0f} ms, "
        f"{_verdict(polls['woke'] < 5000)}"
    )
    print(f"target  : SIGTERM exit < 5 s -> {stop:.0f} ms, {_verdict(stop < 5000)}")
    idle_ok = quiet["first"] < 8000 and quiet["health_p50"] < 500 and quiet["create_p50"] < 500
    print(
        f"target  : idle sockets: first health < 8 s, then medians < 500 ms -> "
        f"{quiet['first']:.0f} ms, {quiet['health_p50']:.1f} ms, {quiet['create_p50']:.1f} ms, "
        f"{_verdict(idle_ok)}"
    )
    print(f"load    : {c.load()} (1/5/15 min) at end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
