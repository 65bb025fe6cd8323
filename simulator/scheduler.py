"""Jobs on the clock: lifecycle steps and webhook deliveries, persisted.

A job is a row (``due_at``, ``kind``, ``ref``, ``payload``). Handlers are registered per
kind. Two ways to run them:

- real clock: a background thread claims due jobs in batches; lifecycle steps run in one
  transaction per batch (batched writes), webhooks go to a pool of worker threads;
- virtual clock: ``advance(seconds)`` / ``run_until_idle()`` move time to each next due
  instant in turn and run everything due there, waiting for its webhooks, before moving
  on; so callbacks of one message always arrive in order and a test never sleeps.

A job is ``pending`` until claimed, ``running`` (with its runner's slot) while it runs.
Each process that runs jobs holds a runner slot (:mod:`smsim.simulator.runner_lock`);
jobs ``running`` under a slot nobody holds (their runner died mid-job) go back to
``pending``: at-least-once, never lost.

Under ``smsim serve`` with the real clock the HTTP worker processes only schedule; the
delivery processes run. They cannot be notified from another process, so while idle
each looks for newly due jobs every :data:`SHARED_POLL_SECONDS` (one indexed read).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from smsim.simulator.clock import RealClock, VirtualClock
from smsim.simulator.runner_lock import RunnerSlots
from smsim.simulator.store import dumps, loads
from smsim.simulator.store_api import Row, Store

log = logging.getLogger("smsim.scheduler")

BATCH = 500
MAX_IDLE_WAVES = 1_000_000
SHARED_POLL_SECONDS = 0.01  # how soon a job another process scheduled is seen
LOCK_RETRY_SECONDS = 0.1  # how often a runner waiting for a free slot tries again
ORPHAN_CHECK_SECONDS = 5.0  # how often a runner looks for jobs of a dead runner


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
        runners: int = 1,
    ) -> None:
        self.store = store
        self.clock = clock
        self.inline: dict[str, Handler] = {}  # run in the scheduler, batched in a transaction
        self.pooled: dict[str, Handler] = {}  # run on worker threads (network I/O)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="smsim-webhook")
        self._cond = threading.Condition()
        self._wake_at: float | None = None
        self._dirty = False
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._virtual_lock = threading.RLock()
        self._in_flight: set[Future[None]] = set()
        self._flight_lock = threading.Lock()
        # pooled jobs claimed but not finished, at most: enough to keep every worker busy
        self._pool_capacity = max(2 * workers, 32)
        self._slots = RunnerSlots(store.path, runners) if store.path else None
        self._orphans_checked = 0.0
        if clock.virtual:  # virtual time runs jobs in the caller's thread, from now on
            self.store.execute("UPDATE jobs SET state = 'pending' WHERE state = 'running'")

    @property
    def slot(self) -> int:
        """The runner slot this process claims jobs under (0 without slots)."""
        return 0 if self._slots is None or self._slots.slot is None else self._slots.slot

    def _recover(self, starting: bool = False) -> None:
        """Jobs claimed under a slot whose runner is gone run again (at least once, never
        lost): when ``starting``, this runner's own slot's (its predecessor died holding
        it); always, any other slot whose lock is free. Never this runner's own slot
        later: those jobs are its own, in flight. A job claimed before slots existed
        counts as slot 0's."""
        self._orphans_checked = time.monotonic()
        if starting:
            self._reset_slot(self.slot)
        if self._slots is None:
            return
        rows = self.store.all(
            "SELECT DISTINCT COALESCE(claimed_by, 0) FROM jobs WHERE state = 'running'"
        )
        for (slot,) in rows:
            with self._slots.vacated(int(slot)) as gone:
                if gone:
                    self._reset_slot(int(slot))

    def _reset_slot(self, slot: int) -> None:
        self.store.execute(
            "UPDATE jobs SET state = 'pending', claimed_by = NULL"
            # claimed_by is TEXT on PostgreSQL: compared as text on both engines
            " WHERE state = 'running' AND COALESCE(CAST(claimed_by AS TEXT), '0') = ?",
            (str(slot),),
        )

    # -- scheduling ---------------------------------------------------------------------

    def schedule(self, due_at: float, kind: str, ref: str, payload: dict[str, Any]) -> int:
        """Persist a job (inside the caller's transaction, if any) and wake the runner."""
        job_id = self.store.execute(
            "INSERT INTO jobs (due_at, kind, ref, payload) VALUES (?, ?, ?, ?) RETURNING id",
            (due_at, kind, ref, dumps(payload)),
        ).fetchone()[0]
        if self._thread is not None:
            with self._cond:
                self._dirty = True
                if self._wake_at is None or due_at < self._wake_at:
                    self._cond.notify()
        return int(job_id)

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

    def _claim(self, until: float, room: int | None = None) -> list[Job]:
        """Mark due jobs ``running`` and return them: up to :data:`BATCH` of each sort,
        and with ``room`` at most that many pooled ones. Without that bound a slow
        receiver let every due webhook be claimed into the pool's queue at once (18,000
        in one run, half a gigabyte, each waiting so long it timed out)."""
        with self.store.transaction():
            if room is None:
                rows = self._due_rows(until, "", [], BATCH)
            else:
                pooled = list(self.pooled)
                marks = ",".join("?" * len(pooled)) or "''"
                rows = self._due_rows(until, f"kind NOT IN ({marks})", pooled, BATCH)
                if room > 0 and pooled:
                    rows += self._due_rows(until, f"kind IN ({marks})", pooled, min(room, BATCH))
                rows.sort(key=lambda r: (r["due_at"], r["id"]))
            if rows:
                ids = [r["id"] for r in rows]
                marks = ",".join("?" * len(ids))
                self.store.execute(
                    f"UPDATE jobs SET state = 'running', claimed_by = ? WHERE id IN ({marks})",
                    [self.slot, *ids],
                )
        return [Job(r["id"], r["due_at"], r["kind"], r["ref"], loads(r["payload"])) for r in rows]

    def _due_rows(self, until: float, where: str, params: list[Any], limit: int) -> list[Row]:
        """Pending jobs due by ``until`` (and matching ``where``), earliest first."""
        extra = f" AND {where}" if where else ""
        return self.store.all(
            "SELECT id, due_at, kind, ref, payload FROM jobs WHERE state = 'pending'"
            f" AND due_at <= ?{extra} ORDER BY due_at, id LIMIT ?",
            (until, *params, limit),
        )

    def _run_batch(self, jobs: list[Job]) -> list[Future[None]]:
        """Inline jobs in one transaction; pooled jobs submitted. Returns the futures."""
        inline = [j for j in jobs if j.kind in self.inline]
        futures: list[Future[None]] = []
        if inline:
            with self.store.transaction():
                for job in inline:
                    try:
                        self.inline[job.kind](job)
                    except Exception:  # a bad job must not stop the others
                        log.exception("job %s (%s) failed", job.id, job.kind)
                    self.done(job)
        for job in jobs:
            if job.kind in self.pooled:
                futures.append(self._submit(job))
            elif job.kind not in self.inline:
                log.error("no handler for job kind %r; dropping job %s", job.kind, job.id)
                self.done(job)
        return futures

    def _submit(self, job: Job) -> Future[None]:
        def run() -> None:
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
        """Start the background runner (real clock only)."""
        if self.clock.virtual or self._thread is not None:
            return
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="smsim-scheduler", daemon=True)
        self._thread.start()

    def _become_runner(self) -> bool:
        """Wait for a free runner slot (other processes may hold them all); False if
        stopped first."""
        if self._slots is None:
            return True
        warned = False
        while not self._stopping:
            if self._slots.try_acquire():
                if warned:
                    log.warning("took over running jobs on %s", self.store.path)
                return True
            if not warned:
                log.warning(
                    "other smsim processes run the jobs of %s; waiting for one to stop",
                    self.store.path,
                )
                warned = True
            with self._cond:
                self._cond.wait(LOCK_RETRY_SECONDS)
        return False

    def _loop(self) -> None:
        assert isinstance(self.clock, RealClock)
        if not self._become_runner():
            return
        try:
            self._recover(starting=True)
        except Exception:
            log.exception("could not recover running jobs")
        shared = self.store.shared
        while not self._stopping:
            with self._cond:
                self._dirty = False
            try:
                now = self.clock.now()
                if time.monotonic() - self._orphans_checked > ORPHAN_CHECK_SECONDS:
                    self._recover()
                room = self._room()
                jobs = self._claim(now, room) if not shared or self._due(now) else []
                if jobs:
                    self._run_batch(jobs)
                    continue
                next_due = self.next_due()
                if room <= 0 and next_due is not None and next_due <= now:
                    # due webhooks wait for a worker; the next one to land wakes us
                    next_due = now + SHARED_POLL_SECONDS
            except Exception:  # keep the runner alive; the error is in the log
                log.exception("scheduler loop error")
                next_due = self.clock.now() + 0.5
            with self._cond:
                if self._stopping:
                    break
                if self._dirty:
                    continue
                if shared:  # other processes schedule without notifying this one
                    soon = self.clock.now() + SHARED_POLL_SECONDS
                    next_due = soon if next_due is None else min(next_due, soon)
                self._wake_at = next_due
                self.clock.wait(self._cond, next_due)
                self._wake_at = None

    def _due(self, now: float) -> bool:
        """Whether any job is due (a read: no write lock taken while idle)."""
        due = self.next_due()
        return due is not None and due <= now

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping = True
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._pool.shutdown(wait=True, cancel_futures=False)
        if self._slots is not None:
            self._slots.release()

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
                wait(self._run_batch(jobs))
        return ran
