"""``kill -9`` of one whole ``smsim serve`` instance (its supervisor, HTTP worker and
delivery process) in the middle of 1,000 creates with StatusCallbacks split over two
instances on one PostgreSQL: the survivor delivers every message that was created to a
final status, with every callback at least once. Delivery is at-least-once: a webhook
the dead instance had sent but not yet recorded is sent again, and the test reports how
many were."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import requests
from scaling_helpers import FROM, full_account

from smsim.simulator.lifecycle import FINAL_STATUSES
from smsim.testing import CallbackRecorder, poll
from smsim.testing import ServeProcess as Serve

CREATES = 1_000
KILL_AFTER = 300  # creates answered before the first instance dies
LEASE = 2.0
ARGS = ("--workers", "1", "--delivery-processes", "1", "--speed", "20")


def _kill_whole_instance(instance: Serve) -> None:
    """SIGKILL the supervisor first (so nothing is restarted), then every child it had."""
    pids = [instance.pid] + [p["pid"] for p in instance.ready.get("processes", [])]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    instance.proc.wait(10)


def _held_by(url: str, instance: Serve) -> list[int]:
    """Jobs claimed by any process of ``instance`` (``claimed_by`` is host-pid-random)."""
    pids = [instance.pid] + [p["pid"] for p in instance.ready.get("processes", [])]
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT id, claimed_by FROM jobs WHERE state = 'running'").fetchall()
    return [job for job, owner in rows if int(owner.split("-")[-2]) in pids]


@pytest.mark.slow
def test_kill_9_of_one_instance_loses_no_message_and_no_callback(postgres_url, monkeypatch):
    monkeypatch.setenv("SMSIM_JOB_LEASE", str(LEASE))
    monkeypatch.setenv("SMSIM_ENFORCE_THROUGHPUT", "false")
    doomed = Serve("--db", postgres_url, *ARGS)
    survivor = Serve("--db", postgres_url, *ARGS)
    try:
        account = full_account(survivor.url)
        with CallbackRecorder() as recorder:
            answered = 0
            orphans: list[int] = []  # jobs the dead instance held when it died
            killed = threading.Event()
            lock = threading.Lock()

            def create(n: int) -> None:
                nonlocal answered
                url = doomed.url if n % 2 else survivor.url
                try:
                    requests.post(
                        f"{url}/2010-04-01/Accounts/{account[0]}/Messages.json",
                        data={
                            "To": f"+1415557{n:04d}",
                            "From": FROM,
                            "Body": "kill -9",
                            "StatusCallback": recorder.url(),
                        },
                        auth=account,
                        timeout=30,
                    )
                except requests.RequestException:  # refused, or cut off by the kill
                    assert killed.is_set(), "an instance refused a create before the kill"
                    return
                with lock:
                    answered += 1
                    if answered == KILL_AFTER:
                        killed.set()
                        _kill_whole_instance(doomed)
                        orphans.extend(_held_by(postgres_url, doomed))

            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(create, range(CREATES)))
            assert killed.is_set()

            # what was created is what the database holds: a create the dead instance
            # committed and never answered counts too
            with psycopg.connect(postgres_url) as conn:
                sids = [row[0] for row in conn.execute("SELECT sid FROM messages")]
            assert len(sids) >= CREATES // 2

            def all_final() -> bool:
                with psycopg.connect(postgres_url) as conn:
                    statuses = {
                        row[0] for row in conn.execute("SELECT DISTINCT status FROM messages")
                    }
                return statuses <= set(FINAL_STATUSES)

            def every_callback() -> bool:
                seen = {
                    (r.params["MessageSid"], r.params["MessageStatus"]) for r in recorder.requests
                }
                return all((sid, s) in seen for sid in sids for s in ("sent", "delivered"))

            # within the lease plus a few seconds on an idle machine; bounded generously
            # here because the test shares its cores
            poll(all_final, 60 + LEASE, "every created message to end")
            poll(every_callback, 60 + LEASE, "every callback of every message")
            sent = Counter(
                (r.params["MessageSid"], r.params["MessageStatus"]) for r in recorder.requests
            )
        duplicates = sum(count - 1 for count in sent.values())
        print(
            f"\n{len(sids)} messages created, {answered} creates answered,"
            f" {sum(sent.values())} callbacks for {len(sent)} (message, status) pairs:"
            f" {duplicates} sent again after the kill; {len(orphans)} jobs held by the"
            " dead instance ran elsewhere"
        )
        with psycopg.connect(postgres_url) as conn:
            statuses = Counter(row[0] for row in conn.execute("SELECT status FROM messages"))
        assert statuses == {"delivered": len(sids)}
        with psycopg.connect(postgres_url) as conn:
            left = conn.execute("SELECT COUNT(*) FROM jobs WHERE id = ANY(%s)", (orphans,))
            assert left.fetchone() == (0,), "a job the dead instance held never ran"
        # at least once: nothing is lost; duplicates only of what was in flight
        assert duplicates < len(sids)
    finally:
        if doomed.proc.poll() is None:
            _kill_whole_instance(doomed)
        survivor.stop()
