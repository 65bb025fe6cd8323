"""`smsim serve --workers 2`: two HTTP worker processes and a delivery process over one
database file. Both workers answer; every callback is claimed once; `kill -9` of a
worker, of the delivery process or of the parent loses no accepted message and no
callback; a second start on the same file finishes what the first left."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from faults_helpers import Receiver, Serve, poll, send_messages

from smsim.testing import process_alive

pytestmark = pytest.mark.slow  # real `smsim serve` processes, real clock

MESSAGES = 120
SENDERS = 4
STATUSES = ("sent", "delivered")


def _config(tmp_path: Path, delivered: float = 0.4) -> str:
    path = tmp_path / "fast.json"
    path.write_text(
        json.dumps(
            {
                "enforce_throughput": False,
                "delays": {"sending": 0, "sent": 0.1, "delivered": delivered, "jitter": 0.1},
            }
        ),
        encoding="utf-8",
    )
    return str(path)


def _serve(tmp_path: Path, *extra: str, delivered: float = 0.4) -> Serve:
    db = str(tmp_path / "smsim.db")
    # explicit counts: the defaults follow the machine's cores
    delivery = () if "--delivery-processes" in extra else ("--delivery-processes", "1")
    config = _config(tmp_path, delivered)
    return Serve("--db", db, "--workers", "2", *delivery, "--config", config, *extra)


def _send(server: Serve, callback: str, count: int = MESSAGES) -> list[str]:
    """``count`` messages from SENDERS threads; returns the SIDs of the accepted ones."""
    sid, token = server.full_account
    accepted: list[str] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        tags = [f"w{n}-{i}" for i in range(n, count, SENDERS)]
        try:
            got = send_messages(server.url, sid, token, tags, callback)
        except requests.ConnectionError:  # a killed worker drops its connections
            return
        with lock:
            accepted.extend(s for _, code, s in got if code == 201 and s)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(SENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return accepted


def _health(url: str) -> dict[str, Any]:
    """One health check on a fresh connection (so any worker may take it)."""
    with requests.Session() as session:
        session.trust_env = False
        response = session.get(f"{url}/_smsim/health", timeout=10)
        response.raise_for_status()
        return dict(response.json())


def _answering_pids(url: str, want: int, tries: int = 300) -> set[int]:
    seen: set[int] = set()
    for _ in range(tries):
        seen.add(_health(url)["process"]["pid"])
        if len(seen) >= want:
            break
    return seen


def _counts(receiver: Receiver) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for pair in receiver.received:
        counts[pair] = counts.get(pair, 0) + 1
    return counts


def _processes(server: Serve, role: str) -> list[int]:
    return [p["pid"] for p in server.ready["processes"] if p["role"].startswith(role)]


def test_two_workers_answer_and_every_callback_is_claimed_once(tmp_path: Path):
    receiver = Receiver().up()
    server = _serve(tmp_path)
    try:
        assert "2 HTTP worker processes and a delivery process" in "".join(server.lines)
        workers = set(_processes(server, "HTTP worker"))
        assert len(workers) == 2 and len(_processes(server, "delivery")) == 1
        assert _answering_pids(server.url, 2) == workers
        health = _health(server.url)
        assert health["process"]["role"] == "http"

        sids = _send(server, receiver.url())
        assert len(set(sids)) == MESSAGES
        expected = {(s, status) for s in sids for status in STATUSES}
        poll(lambda: receiver.pairs() >= expected, 60, "every callback")
        # a moment more: a second claim of any job would show up as a second callback
        poll(lambda: _health(server.url)["pending_jobs"] == 0, 30, "no job left")
    finally:
        server.stop()
        receiver.close()
    counts = _counts(receiver)
    assert set(counts) == expected
    assert max(counts.values()) == 1, [p for p, n in counts.items() if n > 1][:5]


def test_a_message_created_in_one_worker_is_seen_by_a_long_poll_in_the_other(tmp_path: Path):
    server = _serve(tmp_path)
    sid, token = server.full_account
    try:
        results: list[dict[str, Any]] = []

        def park() -> None:
            with requests.Session() as session:  # its own connection, to either worker
                session.trust_env = False
                response = session.get(
                    f"{server.url}/_smsim/messages",
                    params={"wait": "60", "body": "across"},  # the longest wait there is
                    timeout=90,
                )
                results.append(response.json())

        # Four long-polls on four connections: the kernel gives them to both workers.
        parked = [threading.Thread(target=park, daemon=True) for _ in range(4)]
        for t in parked:
            t.start()
        # Let them park: one that had not would find the message at once and prove nothing.
        # Each worker's health names how many requests it has parked; a worker's count
        # only grows until the send below, so a stale one never makes the sum reach 4 early.
        workers = set(_processes(server, "HTTP worker"))
        parked_by: dict[int, int] = {}

        def all_parked() -> bool:
            health = _health(server.url)
            parked_by[health["process"]["pid"]] = health["waiting_requests"]
            return set(parked_by) == workers and sum(parked_by.values()) == len(parked)

        poll(all_parked, 30, "the 4 long-polls parked across both workers")
        created = send_messages(server.url, sid, token, ["across"])
        deadline = time.monotonic() + 30
        for t in parked:
            t.join(max(0.0, deadline - time.monotonic()))
        # Woken by the commit in the other worker, not by the end of their 60 s wait (nor
        # by the stop below, which answers parked requests at once).
        assert not any(t.is_alive() for t in parked), "a long-poll was not woken by the commit"
    finally:
        server.stop()
    assert created[0][1] == 201
    assert len(results) == 4
    for listed in results:
        assert [m["sid"] for m in listed["messages"]] == [created[0][2]]


def test_kill_9_of_a_worker_loses_no_accepted_message(tmp_path: Path):
    receiver = Receiver().up()
    server = _serve(tmp_path, delivered=1.0)
    try:
        victim = _processes(server, "HTTP worker")[0]
        before = _send(server, receiver.url(), 40)
        os.kill(victim, 9)
        poll(lambda: not process_alive(victim), 10, "the worker to die")
        after = _send(server, receiver.url(), 80)

        # the parent starts another worker on the same port
        def two_answering() -> set[int] | None:
            pids = _answering_pids(server.url, 2, 100)
            return pids if len(pids) == 2 else None

        answering = poll(two_answering, 30, "two workers answering again")
        assert victim not in answering
        sids = before + after
        expected = {(s, status) for s in sids for status in STATUSES}
        poll(lambda: receiver.pairs() >= expected, 60, "every accepted message's callbacks")
        assert f"(pid {victim}) was killed by SIGKILL; starting it again" in "".join(server.lines)
    finally:
        server.stop()
        receiver.close()
    assert len(sids) >= 100
    assert max(_counts(receiver).values()) == 1


def test_kill_9_of_the_delivery_process_loses_no_callback(tmp_path: Path):
    receiver = Receiver().up()
    server = _serve(tmp_path, delivered=1.5)
    try:
        delivery = _processes(server, "delivery")[0]
        sids = _send(server, receiver.url())
        assert len(sids) == MESSAGES
        expected = {(s, status) for s in sids for status in STATUSES}
        poll(lambda: receiver.count() >= MESSAGES // 2, 30, "callbacks to start flowing")
        os.kill(delivery, 9)
        at_kill = receiver.pairs()
        poll(lambda: receiver.pairs() >= expected, 60, "every callback after the restart")
        assert "the delivery process" in "".join(server.lines)
    finally:
        server.stop()
        receiver.close()
    assert at_kill < expected, "the kill came after every callback had arrived"
    assert max(_counts(receiver).values()) <= 2  # a callback in flight may come again


def test_kill_9_of_the_parent_stops_its_children_and_a_restart_finishes(tmp_path: Path):
    receiver = Receiver().up()
    first = _serve(tmp_path, delivered=2.0)
    children = [p["pid"] for p in first.ready["processes"]]
    try:
        sids = _send(first, receiver.url())
        expected = {(s, status) for s in sids for status in STATUSES}
        first.kill()
        poll(lambda: not any(process_alive(pid) for pid in children), 20, "the children to stop")
    finally:
        first.kill()
    assert len(sids) == MESSAGES
    assert not receiver.pairs() >= expected, "everything finished before the kill"

    second = _serve(tmp_path)
    try:
        poll(lambda: receiver.pairs() >= expected, 60, "every callback after the restart")
        listed = requests.get(
            f"{second.url}/_smsim/messages", params={"limit": "1000"}, timeout=30
        ).json()["messages"]
    finally:
        second.stop()
        receiver.close()
    assert sorted(m["sid"] for m in listed) == sorted(sids)
    assert {m["status"] for m in listed} == {"delivered"}


def test_one_worker_still_delivers_from_its_own_process_while_memory_is_one_process(
    tmp_path: Path,
):
    receiver = Receiver().up()
    split = Serve(
        "--db",
        str(tmp_path / "one.db"),
        "--workers",
        "1",
        "--delivery-processes",
        "1",
        "--config",
        _config(tmp_path),
    )
    single = Serve("--memory", "--config", _config(tmp_path))
    try:
        assert "1 HTTP worker process and a delivery process" in "".join(split.lines)
        assert [p["role"] for p in split.ready["processes"]] == ["HTTP worker 1", "delivery"]
        assert _health(split.url)["process"]["role"] == "http"
        assert _health(single.url)["process"] == {"pid": single.pid, "role": "all"}
        assert "processes" not in single.ready
        for server in (split, single):
            sids = _send(server, receiver.url(), 8)
            expected = {(s, status) for s in sids for status in STATUSES}
            poll(lambda want=expected: receiver.pairs() >= want, 30, "every callback")
    finally:
        split.stop()
        single.stop()
        receiver.close()


def test_two_delivery_processes_deliver_every_callback_once_and_survive_a_kill(tmp_path: Path):
    receiver = Receiver().up()
    server = _serve(tmp_path, "--delivery-processes", "2", delivered=1.0)
    try:
        assert "2 HTTP worker processes and 2 delivery processes" in "".join(server.lines)
        deliverers = _processes(server, "delivery")
        assert len(deliverers) == 2
        sids = _send(server, receiver.url())
        expected = {(s, status) for s in sids for status in STATUSES}
        poll(lambda: receiver.count() >= MESSAGES // 2, 30, "callbacks to start flowing")
        os.kill(deliverers[0], 9)
        poll(lambda: receiver.pairs() >= expected, 60, "every callback after the kill")
    finally:
        server.stop()
        receiver.close()
    assert len(sids) == MESSAGES
    assert max(_counts(receiver).values()) <= 2  # only a callback in flight at the kill
