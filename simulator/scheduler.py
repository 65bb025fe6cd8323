"""Jobs on the clock: lifecycle steps and webhook deliveries, persisted.

A job is a row (``due_at``, ``kind``, ``ref``, ``payload``). Handlers are registered per
kind. Two ways to run them:

- real clock: a background thread claims due jobs in batches; lifecycle steps run in one
  transaction per batch (batched writes), webhooks go to a pool of worker threads;
- virtual clock: ``advance(seconds)`` / ``run_until_idle()`` move time to each next due
  instant in turn and run everything due there, waiting for its webhooks, before moving
  on; so callbacks of one message always arrive in order and a test never sleeps.

Claims under leases. A job is ``pending`` until a runner claims it: one statement marks
it ``running`` with ``claimed_by`` (the runner's :func:`instance_id`) and ``lease_until``
(wall time plus :attr:`Scheduler.lease_seconds`); on PostgreSQL the rows are picked
``FOR UPDATE SKIP LOCKED``, so runners in any number of processes and machines claim
disjoint batches without waiting on each other. While a runner lives it renews the lease
of all its running jobs in one update every quarter lease; any runner returns jobs whose
lease ended to ``pending`` at the same pace. So a runner killed mid-job (``kill -9``, a
lost machine) loses nothing: its jobs run again elsewhere within ``lease * 1.25`` seconds
of its death, at least once (a webhook it had sent but not recorded is sent again).
Leases are wall time (``time.time()``): the machines' clocks must agree to well under a
lease (NTP does), as they must for ``due_at`` anyway.

On SQLite one process owns the file, so every job ``running`` when it starts was its dead
predecessor's and goes back to ``pending`` at once; nothing needs renewing or sweeping.
The virtual clock is one instance on either engine, and does the same.

Wake-ups: a job scheduled in this process wakes its runner directly; one scheduled by
another process on PostgreSQL wakes it through ``LISTEN/NOTIFY``
(:mod:`smsim.simulator.notices`), whose slow fallback tick bounds a lost notification's
delay.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from smsim.simulator.clock import RealClock, VirtualClock
from smsim.simulator.store import dumps, loads
from smsim.simulator.store_api import Store

log = logging.getLogger("smsim.scheduler")

BATCH = 500
# Under load the real-clock runner lets due lifecycle steps gather: after a claim of
# BUSY_BATCH steps or more it claims steps again only GATHER_SECONDS later (webhooks are
# claimed as before, whenever a worker is free). Each claim and each batch's transaction is
# a turn at the store's lock, and under load the lock's holder also waits for the GIL at
# every statement, so fewer, bigger batches leave more of the lock to the creates. A step
# due under load runs up to GATHER_SECONDS late; steps of a quiet simulator run at once.
# Measured, 3 alternating pairs of api.py-style load on one `smsim serve` (2 x 4 clients,
# 10 s): 1,014-1,242 against 986-1,037 creates/s with their steps (0.83-1.00 against
# 1.00-1.04 ms CPU each); 2 pairs of 6,000-recipient campaigns end to end: 325-344 against
# 262-289 msg/s. Gathering webhooks too (one claim every 50 ms, whatever was due) halved
# the campaign's callback rate: only as many as the pool has room for are claimed at once.
BUSY_BATCH = 8
GATHER_SECONDS = 0.05
MAX_IDLE_WAVES = 1_000_000
# How long a claim holds a job without renewal. A live runner renews every quarter of it,
# so it only has to outlast a stalled renewal (a slow database, a paused VM) without
# handing live jobs to another runner; short, because a dead runner's jobs wait that long.
LEASE_SECONDS = 10.0


def instance_id() -> str:
    """This process' name in ``jobs.claimed_by``: host, pid and a random part (a pid
    comes back after a restart; the random part does not)."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Job:
    id: int
    due_at: float
    kind: str
    ref: str
    payload: dict[str, Any]


Handler = Callable[[Job], None]


class Scheduler:
    """Runs persisted jobs when the clock says they are due."""

    def __init__(
        self,
        store: Store,
        clock: RealClock | VirtualClock,
        workers: int = 16,
        lease_seconds: float = LEASE_SECONDS,
    ) -> None:
        self.store = store
        self.clock = clock
        self.instance = instance_id()
        self.lease_seconds = lease_seconds
        self.inline: dict[str, Handler] = {}  # run in the scheduler, batched in a transaction
        self.pooled: dict[str, Handler] = {}  # run on worker threads (network I/O)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="smsim-webhook")
        self._cond = threading.Condition()
        self._wake_at: float | None = None
        self._dirty = False
        self._thread: threading.Thread | None = None
        self._leases: threading.Thread | None = None
        self._stopping = threading.Event()
        self._virtual_lock = threading.RLock()
        self._in_flight: set[Future[None]] = set()
        self._flight_lock = threading.Lock()
        # pooled jobs claimed but not finished, at most: enough to keep every worker busy
        self._pool_capacity = max(2 * workers, 32)
        # inline jobs of the running batch whose row now holds their ref's next step
        self._handed_over: set[int] = set()
        # until when due inline jobs gather instead of being claimed (see GATHER_SECONDS)
        self._gather_until = 0.0
        # On PostgreSQL other processes may be running jobs right now; on SQLite (one
        # process) and with virtual time (one instance) any running job is a dead one's.
        self.shared = store.dialect == "postgresql" and not clock.virtual
        if not self.shared:
            self.release_running()

    def release_running(self) -> int:
        """Every ``running`` job back to ``pending`` (its runner is gone)."""
        return self.store.execute(
            "UPDATE jobs SET state = 'pending', claimed_by = NULL, lease_until = NULL"
            " WHERE state = 'running'"
        ).rowcount

    def wake(self) -> None:
        """Look for due jobs now (a job was scheduled, maybe by another process)."""
        with self._cond:
            self._dirty = True
            self._cond.notify()

    # -- scheduling ---------------------------------------------------------------------

    def schedule(self, due_at: float, kind: str, ref: str, payload: dict[str, Any]) -> int:
        """Persist a job (inside the caller's transaction, if any) and wake the runner."""
        # scalar(): the statement is finished under the store's lock. A RETURNING cursor
        # handed back by execute() keeps SQLite's implicit transaction open until it is
        # dropped, and outside a transaction another thread's BEGIN would fail meanwhile.
        job_id = self.store.scalar(
            "INSERT INTO jobs (due_at, kind, ref, payload) VALUES (?, ?, ?, ?) RETURNING id",
            (due_at, kind, ref, dumps(payload)),
        )
        self._due(due_at, kind)
        return int(job_id)

    def hand_over(self, job: Job, due_at: float, payload: dict[str, Any]) -> None:
        """Schedule the next step of a running inline ``job``'s ref (inside its batch).

        On SQLite the job's own row becomes that step: one ``UPDATE`` instead of an
        ``INSERT`` now and a ``DELETE`` when the handler returns. Every message passes
        through two such hand-overs on its way to ``delivered``, and under load each
        statement in the batch's transaction is a turn at the GIL with the store's lock
        held. On PostgreSQL the step is a new row, whose insert wakes the other
        instances' runners (migration 8's trigger fires on inserts).
        """
        if self.store.dialect != "sqlite":
            self.schedule(due_at, job.kind, job.ref, payload)
            return
        self.store.execute(
            "UPDATE jobs SET due_at = ?, payload = ?, state = 'pending', claimed_by = NULL,"
            " lease_until = NULL WHERE id = ?",
            (due_at, dumps(payload), job.id),
        )
        self._handed_over.add(job.id)
        self._due(due_at, job.kind)

    def _due(self, due_at: float, kind: str) -> None:
        """A job is due at ``due_at``: wake the runner if it sleeps past that. A step while
        steps gather is not a reason to wake: the runner claims them when gathering ends."""
        if kind in self.inline and due_at < self._gather_until:
            return
        if self._thread is not None:
            with self._cond:
                self._dirty = True
                if self._wake_at is None or due_at < self._wake_at:
                    self._cond.notify()

    def cancel(self, ref: str, kind: str | None = None) -> int:
        """Drop pending jobs for ``ref`` (e.g. a canceled message's next step)."""
        sql = "DELETE FROM jobs WHERE ref = ? AND state = 'pending'"
        args: list[Any] = [ref]
        if kind:
            sql += " AND kind = ?"
            args.append(kind)
        return self.store.execute(sql, args).rowcount

    def has_pending(self, ref: str, kind: str) -> bool:
        """True while a job of ``kind`` for ``ref`` waits or runs."""
        row = self.store.one("SELECT 1 FROM jobs WHERE ref = ? AND kind = ?", (ref, kind))
        return row is not None

    def pending(self) -> int:
        return int(self.store.scalar("SELECT COUNT(*) FROM jobs") or 0)

    def count_by_state(self) -> list[tuple[str, str, int]]:
        """(kind, state, count) of the jobs not done yet: ``pending`` or ``running``."""
        rows = self.store.all("SELECT kind, state, COUNT(*) FROM jobs GROUP BY kind, state")
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]

    def next_due(self) -> float | None:
        due = self.store.scalar("SELECT MIN(due_at) FROM jobs WHERE state = 'pending'")
        return None if due is None else float(due)

    def done(self, job: Job) -> None:
        self.store.execute("DELETE FROM jobs WHERE id = ?", (job.id,))

    # -- running ------------------------------------------------------------------------

    def _room(self) -> int:
        """How many more pooled jobs (webhooks) may be claimed now."""
        with self._flight_lock:
            return self._pool_capacity - len(self._in_flight)

    def _claim(self, until: float, room: int | None = None, inline: bool = True) -> list[Job]:
        """Mark due jobs ``running`` under this runner's lease and return them: up to
        :data:`BATCH` of each sort, and with ``room`` at most that many pooled ones.
        Without that bound a slow receiver let every due webhook be claimed into the
        pool's queue at once (18,000 in one run, half a gigabyte, each waiting so long it
        timed out). Without ``inline``, pooled ones only (steps are gathering)."""
        with self.store.transaction() as tx:
            if room is None:
                rows = self._claim_rows(tx, until, "", [], BATCH)
            else:
                pooled = list(self.pooled)
                marks = ",".join("?" * len(pooled)) or "''"
                rows = []
                if inline:
                    rows = self._claim_rows(tx, until, f"kind NOT IN ({marks})", pooled, BATCH)
                if room > 0 and pooled:
                    rows += self._claim_rows(
                        tx, until, f"kind IN ({marks})", pooled, min(room, BATCH)
                    )
        jobs = [Job(r[0], r[1], r[2], r[3], loads(r[4])) for r in rows]
        jobs.sort(key=lambda job: (job.due_at, job.id))  # RETURNING keeps no order
        return jobs

    def _claim_rows(
        self, tx: Any, until: float, where: str, params: list[Any], limit: int
    ) -> list[Any]:
        """Claim pending jobs due by ``until`` (and matching ``where``), earliest first,
        in one statement. PostgreSQL skips rows another runner is claiming this instant
        instead of waiting for it; SQLite has one writer and one process, so the
        transaction alone makes the claim exclusive."""
        extra = f" AND {where}" if where else ""
        skip = self._skip_locked
        cursor = tx.execute(
            "UPDATE jobs SET state = 'running', claimed_by = ?, lease_until = ?"
            " WHERE id IN (SELECT id FROM jobs WHERE state = 'pending'"
            f" AND due_at <= ?{extra} ORDER BY due_at, id LIMIT ?{skip})"
            " RETURNING id, due_at, kind, ref, payload",
            (self.instance, time.time() + self.lease_seconds, until, *params, limit),
        )
        return list(cursor.fetchall())

    # -- leases ---------------------------------------------------------------------------

    def renew_leases(self) -> int:
        """Extend the lease of every job this runner holds (one update); how many.

        Rows locked right now are skipped: they are this runner's own batch being
        finished (deleted) in its open transaction. Waiting for them would deadlock with
        that batch when it then reaches a row this update holds."""
        return self.store.execute(
            "UPDATE jobs SET lease_until = ? WHERE id IN (SELECT id FROM jobs"
            f" WHERE claimed_by = ? AND state = 'running'{self._skip_locked})",
            (time.time() + self.lease_seconds, self.instance),
        ).rowcount

    def reclaim_expired(self) -> int:
        """Return to ``pending`` the jobs whose lease ended (their runner stopped renewing:
        it died); how many. Rows locked now are being finished by a live runner."""
        return self.store.execute(
            "UPDATE jobs SET state = 'pending', claimed_by = NULL, lease_until = NULL"
            " WHERE id IN (SELECT id FROM jobs WHERE state = 'running'"
            f" AND COALESCE(lease_until, 0) < ?{self._skip_locked})",
            (time.time(),),
        ).rowcount

    @property
    def _skip_locked(self) -> str:
        """PostgreSQL passes over rows another transaction holds; SQLite has one writer."""
        return " FOR UPDATE SKIP LOCKED" if self.store.dialect == "postgresql" else ""

    def _keep_leases(self) -> None:
        """Runs beside the runner on PostgreSQL: renew ours, then reclaim the dead's,
        every quarter lease."""
        while not self._stopping.wait(self.lease_seconds / 4):
            try:
                self.renew_leases()
                if self.reclaim_expired():
                    self.wake()
            except Exception:  # the database is away for a moment: try next tick
                log.exception("could not renew or reclaim job leases")

    def _run_batch(self, jobs: list[Job], in_order: bool = False) -> list[Future[None]]:
        """Inline jobs in one transaction; pooled jobs submitted. Returns the futures.

        With ``in_order`` (virtual time), the pooled jobs of one ref (one message's
        callbacks due at the same instant, such as ``sent`` and ``delivered`` when a
        message is driven to its outcome at once) run one after another in the order
        they were scheduled, so they arrive in that order; different refs still run in
        parallel."""
        inline = [j for j in jobs if j.kind in self.inline]
        if inline:
            self._run_inline(inline)
        chains: dict[str, list[Job]] = {}
        for job in jobs:
            if job.kind in self.pooled:
                chains.setdefault(job.ref if in_order else str(job.id), []).append(job)
            elif job.kind not in self.inline:
                log.error("no handler for job kind %r; dropping job %s", job.kind, job.id)
                self.done(job)
        return [self._submit(sorted(chain, key=lambda j: j.id)) for chain in chains.values()]

    def _run_inline(self, jobs: list[Job]) -> None:
        """All of ``jobs`` in one transaction; if it fails (a bad job, or a database
        error that aborts a PostgreSQL transaction whole), each again in its own, so one
        failure neither stops the others nor leaves them claimed for ever. A job that
        fails alone is logged and dropped."""
        try:
            with self.store.transaction():
                for job in jobs:
                    self._run_one_inline(job)
            return
        except Exception:
            log.warning("a batch of %d steps failed; running them one by one", len(jobs))
        for job in jobs:
            try:
                with self.store.transaction():
                    self._run_one_inline(job)
            except Exception:  # a bad job must not stop the others
                log.exception("job %s (%s) failed", job.id, job.kind)
                self.done(job)

    def _run_one_inline(self, job: Job) -> None:
        """Run ``job``'s handler, then drop its row unless the handler handed it over."""
        self._handed_over.discard(job.id)  # a rolled-back try's hand-over never happened
        self.inline[job.kind](job)
        if job.id in self._handed_over:
            self._handed_over.discard(job.id)
        else:
            self.done(job)

    def _submit(self, chain: list[Job]) -> Future[None]:
        """One pool task running ``chain``'s jobs one after another (usually one job)."""

        def run() -> None:
            for job in chain:
                try:
                    self.pooled[job.kind](job)
                except Exception:
                    log.exception("job %s (%s) failed", job.id, job.kind)
                    self.done(job)

        future = self._pool.submit(run)
        with self._flight_lock:
            self._in_flight.add(future)
        future.add_done_callback(self._landed)
        return future

    def _landed(self, future: Future[None]) -> None:
        with self._flight_lock:
            self._in_flight.discard(future)
        if self._thread is not None:  # room for the next pooled job: claim it now
            with self._cond:
                self._dirty = True
                self._cond.notify()

    # -- real clock -----------------------------------------------------------------------

    def start(self) -> None:
        """Start the background runner (real clock only), and on PostgreSQL the thread
        that keeps its leases and reclaims those of dead runners."""
        if self.clock.virtual or self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="smsim-scheduler", daemon=True)
        self._thread.start()
        if self.shared:
            self._leases = threading.Thread(
                target=self._keep_leases, name="smsim-job-leases", daemon=True
            )
            self._leases.start()

    def _loop(self) -> None:
        assert isinstance(self.clock, RealClock)
        if self.shared:  # a runner that died before this one started left them
            try:
                self.reclaim_expired()
            except Exception:
                log.exception("could not reclaim expired job leases")
        while not self._stopping.is_set():
            with self._cond:
                self._dirty = False
            try:
                now = self.clock.now()
                room = self._room()
                gathering = now < self._gather_until
                jobs = self._claim(now, room, inline=not gathering)
                if not gathering and sum(j.kind in self.inline for j in jobs) >= BUSY_BATCH:
                    self._gather_until = now + GATHER_SECONDS
                if jobs:
                    self._run_batch(jobs)
                    continue
                # while steps gather, the runner looks again when gathering ends (a step
                # scheduled meanwhile woke no one); a landed webhook or a new one wakes it
                next_due = self._gather_until if gathering else self.next_due()
                if room <= 0 and next_due is not None and next_due <= now:
                    # due webhooks wait for a worker; the next one to land wakes us
                    next_due = now + 0.05
            except Exception:  # keep the runner alive; the error is in the log
                log.exception("scheduler loop error")
                next_due = self.clock.now() + 0.5
            with self._cond:
                if self._stopping.is_set():
                    break
                if self._dirty:
                    continue
                self._wake_at = next_due
                self.clock.wait(self._cond, next_due)
                self._wake_at = None

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        for thread in (self._thread, self._leases):
            if thread is not None:
                thread.join(timeout)
        self._thread = self._leases = None
        self._pool.shutdown(wait=True, cancel_futures=False)
        if self.shared:  # what this runner claimed and never finished runs elsewhere now
            try:
                self.store.execute(
                    "UPDATE jobs SET state = 'pending', claimed_by = NULL, lease_until = NULL"
                    " WHERE state = 'running' AND claimed_by = ?",
                    (self.instance,),
                )
            except Exception:
                log.exception("could not hand back this runner's jobs; their leases will")

    def wait_until_none_running(self, timeout: float) -> bool:
        """Block until no job is ``running`` in any process (the delivery processes of
        ``smsim serve`` finish what they claimed) or ``timeout`` passes; True if none."""
        deadline = time.monotonic() + timeout
        while self.store.scalar("SELECT 1 FROM jobs WHERE state = 'running' LIMIT 1"):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    def wait_in_flight(self) -> None:
        """Block until every submitted webhook has finished (tests, shutdown)."""
        while True:
            with self._flight_lock:
                futures = list(self._in_flight)
            if not futures:
                return
            wait(futures)

    # -- virtual clock --------------------------------------------------------------------

    def advance(self, seconds: float) -> int:
        """Move virtual time forward, running everything that falls due. Returns jobs run."""
        assert isinstance(self.clock, VirtualClock)
        with self._virtual_lock:
            target = self.clock.now() + max(0.0, seconds)
            ran = self._run_virtual_until(target)
            self.clock.set(target)
            return ran

    def run_until_idle(self, max_seconds: float = 366 * 86400) -> int:
        """Run every pending job, moving time as far as needed (bounded)."""
        assert isinstance(self.clock, VirtualClock)
        with self._virtual_lock:
            return self._run_virtual_until(self.clock.now() + max_seconds)

    def _run_virtual_until(self, target: float) -> int:
        assert isinstance(self.clock, VirtualClock)
        ran = 0
        for _ in range(MAX_IDLE_WAVES):
            self.wait_in_flight()
            next_due = self.next_due()
            if next_due is None or next_due > target:
                break
            self.clock.set(next_due)
            while True:
                jobs = self._claim(self.clock.now())
                if not jobs:
                    break
                ran += len(jobs)
                wait(self._run_batch(jobs, in_order=True))
        return ran
