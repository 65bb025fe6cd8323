"""The simulator's job runner on a database file, one process: jobs a stopped process had
claimed run again at the next start, a slow receiver never gets more webhooks claimed
than its workers can take, a webhook in flight is never taken for a dead runner's, and
a second process started on the file by mistake runs no job while the first runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smsim.simulator.config import SimulatorConfig
from smsim.simulator.engine import Engine
from smsim.testing import poll


@pytest.fixture
def config(tmp_path: Path) -> SimulatorConfig:
    return SimulatorConfig(db_path=str(tmp_path / "smsim.db"), clock="real")


@pytest.fixture
def engines() -> Iterator[list[Engine]]:
    opened: list[Engine] = []
    yield opened
    for engine in opened:
        engine.close()


def _open(engines: list[Engine], config: SimulatorConfig) -> Engine:
    engine = Engine(config)
    engines.append(engine)
    return engine


def test_jobs_a_stopped_process_had_claimed_run_again_at_the_next_start(config, engines):
    first = Engine(config)
    job_id = first.scheduler.schedule(time.time(), "probe", "orphan", {})
    # claimed, then the process died before finishing it (kill -9 leaves it so)
    first.store.execute("UPDATE jobs SET state = 'running' WHERE id = ?", (job_id,))
    first.close()
    second = _open(engines, config)
    ran: list[int] = []
    second.scheduler.inline["probe"] = lambda job: ran.append(job.id)
    second.start()
    poll(lambda: ran, 10, "the orphaned job")
    assert ran == [job_id]


def test_a_slow_receiver_never_gets_more_webhooks_claimed_than_workers_can_take(tmp_path: Path):
    """Without a bound every due webhook was claimed into the pool's queue at once (a
    campaign's 18,000 callbacks: half a gigabyte, and each waited until it timed out)."""
    config = SimulatorConfig(db_path=str(tmp_path / "slow.db"), clock="real", webhook_workers=4)
    engine = Engine(config)
    release = threading.Event()
    done: list[int] = []
    steps: list[int] = []
    try:

        def slow_webhook(job: Any) -> None:
            release.wait(10)
            done.append(job.id)
            engine.scheduler.done(job)

        engine.scheduler.pooled["slow"] = slow_webhook
        engine.scheduler.inline["quick"] = lambda job: steps.append(job.id)
        for n in range(300):
            engine.scheduler.schedule(time.time(), "slow", f"w{n}", {})
        engine.start()
        poll(lambda: engine.scheduler._room() <= 0, 10, "the pool to fill")
        quick = engine.scheduler.schedule(time.time(), "quick", "step", {})
        poll(lambda: steps == [quick], 10, "a step while the webhooks wait")  # not behind them
        running = engine.store.scalar("SELECT COUNT(*) FROM jobs WHERE state = 'running'")
        assert running == engine.scheduler._pool_capacity
        release.set()
        poll(lambda: len(done) == 300, 30, "every webhook")
    finally:
        release.set()
        engine.close()


def test_a_webhook_slower_than_the_orphan_check_is_not_sent_again(config, engines, monkeypatch):
    """The runner looks for a dead runner's jobs every few seconds; its own jobs, still
    in flight, are not a dead runner's and must not run a second time."""
    from smsim.simulator import scheduler

    monkeypatch.setattr(scheduler, "ORPHAN_CHECK_SECONDS", 0.2)
    runner = _open(engines, config)
    started: list[int] = []
    finish = threading.Event()
    checks = threading.Semaphore(0)
    recover = runner.scheduler._recover

    def counted_recover(*args: Any, **kwargs: Any) -> Any:
        try:
            return recover(*args, **kwargs)
        finally:
            checks.release()

    monkeypatch.setattr(runner.scheduler, "_recover", counted_recover)

    def slow(job: Any) -> None:
        started.append(job.id)
        finish.wait(30)
        runner.scheduler.done(job)

    runner.scheduler.pooled["slow"] = slow
    runner.start()
    job_id = runner.scheduler.schedule(time.time(), "slow", "one", {})
    poll(lambda: started, 10, "the webhook to start")
    # several orphan checks happen while it runs; a later job wakes the loop between them
    for n in range(3):
        assert checks.acquire(timeout=10), "no orphan check ran"
        runner.scheduler.schedule(time.time() + 60, "later", f"l{n}", {})
    finish.set()
    poll(
        lambda: runner.store.scalar("SELECT COUNT(*) FROM jobs WHERE id = ?", (job_id,)) == 0,
        10,
        "done",
    )
    assert started == [job_id]


def test_a_second_process_on_the_file_runs_no_job_until_the_first_stops(config, engines):
    """Two ``smsim serve`` started on one file by mistake: only the first runs the jobs
    (each job once); when it stops, the second takes over."""
    first, second = _open(engines, config), _open(engines, config)
    ran: list[tuple[str, int]] = []
    first.scheduler.inline["probe"] = lambda job: ran.append(("first", job.id))
    second.scheduler.inline["probe"] = lambda job: ran.append(("second", job.id))
    first.start()
    poll(lambda: first.scheduler._slots.held, 10, "the first runner's slot")
    second.start()
    ids = [first.scheduler.schedule(time.time(), "probe", f"j{n}", {}) for n in range(20)]
    poll(lambda: len(ran) >= 20, 20, "the first 20 jobs")
    assert sorted(ran) == sorted(("first", i) for i in ids)
    assert not second.scheduler._slots.held

    first.stop()  # a crash would release the slot the same way
    later = [second.scheduler.schedule(time.time(), "probe", f"k{n}", {}) for n in range(10)]
    poll(lambda: len(ran) >= 30, 20, "the next 10 jobs")
    assert sorted(ran[20:]) == sorted(("second", i) for i in later)
