"""What `smsim serve --workers N` relies on, with each process played by its own engine
(its own SQLite connection) on one file: a change made through one is seen by the
others' caches and change feeds at once, and only one of them ever runs the jobs."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smsim.simulator.config import SimulatorConfig
from smsim.simulator.engine import Engine, Role
from smsim.simulator.errors import TwilioError
from smsim.testing import poll


@pytest.fixture
def config(tmp_path: Path) -> SimulatorConfig:
    config = SimulatorConfig(db_path=str(tmp_path / "shared.db"), clock="real")
    Engine(config).close()  # the parent's part: migrate and seed
    return config


@pytest.fixture
def engines(config: SimulatorConfig) -> Iterator[list[Engine]]:
    opened: list[Engine] = []
    yield opened
    for engine in opened:
        engine.close()


def _open(engines: list[Engine], config: SimulatorConfig, role: Role) -> Engine:
    engine = Engine(config, role)
    engines.append(engine)
    return engine


def test_closing_an_account_in_one_worker_refuses_its_token_in_another(config, engines):
    first = _open(engines, config, Role.HTTP)
    second = _open(engines, config, Role.HTTP)
    account = next(a for a in first.accounts.all() if a.type == "Full")
    assert first.accounts.authenticate(account.sid, account.auth_token).sid == account.sid

    second.accounts.update(account.sid, friendly_name=None, status="closed")

    with pytest.raises(TwilioError) as refused:
        first.accounts.authenticate(account.sid, account.auth_token)
    assert refused.value.code == 20003


def test_a_change_feed_wakes_on_another_process_commit(config, engines):
    watcher = _open(engines, config, Role.HTTP)
    writer = _open(engines, config, Role.HTTP)
    feed = watcher.change_feed()
    seen = feed.current()

    # No timeout of its own: only a change (or closing the feed) ends this wait.
    waiter = threading.Thread(target=feed.wait_past, args=(seen, 3600), daemon=True)
    waiter.start()
    poll(lambda: feed.waiters == 1, 10, "the waiter to park")
    try:
        writer.accounts.create(account_type="trial", friendly_name="from the other process")
        waiter.join(30)
        assert not waiter.is_alive(), "the other process' commit did not wake the waiter"
        assert feed.current() != seen
    finally:
        feed.close()


def _recording(engine: Engine, ran: list[tuple[str, int]], name: str) -> None:
    engine.scheduler.inline["probe"] = lambda job: ran.append((name, job.id))


def test_only_one_delivery_process_runs_jobs_and_the_next_takes_over(config, engines):
    http = _open(engines, config, Role.HTTP)
    ran: list[tuple[str, int]] = []
    first = _open(engines, config, Role.DELIVERY)
    second = _open(engines, config, Role.DELIVERY)
    _recording(first, ran, "first")
    _recording(second, ran, "second")
    first.start()
    poll(lambda: first.scheduler._slots.held, 10, "the first runner's lock")
    second.start()

    ids = [http.scheduler.schedule(time.time(), "probe", f"j{n}", {}) for n in range(50)]
    poll(lambda: len(ran) >= 50, 20, "the first 50 jobs")
    assert sorted(ran) == sorted(("first", i) for i in ids)

    first.stop()  # a crash would release the lock the same way
    later = [http.scheduler.schedule(time.time(), "probe", f"k{n}", {}) for n in range(20)]
    poll(lambda: len(ran) >= 70, 20, "the next 20 jobs")
    time.sleep(0.2)
    assert sorted(ran[50:]) == sorted(("second", i) for i in later)
    assert len(ran) == 70


def test_jobs_a_dead_runner_had_claimed_run_again(config, engines):
    http = _open(engines, config, Role.HTTP)
    job_id = http.scheduler.schedule(time.time(), "probe", "orphan", {})
    http.store.execute("UPDATE jobs SET state = 'running' WHERE id = ?", (job_id,))
    ran: list[tuple[str, int]] = []
    runner = _open(engines, config, Role.DELIVERY)
    _recording(runner, ran, "runner")
    runner.start()
    poll(lambda: ran, 10, "the orphaned job")
    assert ran == [("runner", job_id)]


def test_two_delivery_processes_share_the_jobs_and_run_each_once(tmp_path: Path):
    config = SimulatorConfig(db_path=str(tmp_path / "two.db"), clock="real", delivery_processes=2)
    Engine(config).close()
    opened: list[Engine] = []
    try:
        http = _open(opened, config, Role.HTTP)
        ran: list[tuple[str, int]] = []
        runners = [_open(opened, config, Role.DELIVERY) for _ in range(2)]
        for n, runner in enumerate(runners):
            _recording(runner, ran, f"r{n}")
            runner.start()
        poll(lambda: all(r.scheduler._slots.held for r in runners), 10, "both slots taken")
        assert {r.scheduler.slot for r in runners} == {0, 1}
        ids = [http.scheduler.schedule(time.time(), "probe", f"j{n}", {}) for n in range(400)]
        poll(lambda: len(ran) >= 400, 30, "every job")
        time.sleep(0.2)
    finally:
        for engine in opened:
            engine.close()
    assert sorted(i for _, i in ran) == sorted(ids), "a job ran twice or never"


def test_jobs_of_a_dead_runner_slot_are_run_by_a_live_runner(config, engines):
    http = _open(engines, config, Role.HTTP)
    job_id = http.scheduler.schedule(time.time(), "probe", "orphan", {})
    # claimed under slot 3, whose runner is gone (nobody holds its lock)
    http.store.execute("UPDATE jobs SET state = 'running', claimed_by = 3 WHERE id = ?", (job_id,))
    ran: list[tuple[str, int]] = []
    runner = _open(engines, config, Role.DELIVERY)
    _recording(runner, ran, "runner")
    runner.start()
    poll(lambda: ran, 10, "the orphaned job")
    assert ran == [("runner", job_id)]


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


def test_a_thread_that_ends_takes_its_generation_reader_with_it(config, engines):
    """Long-polls run on threads that end with their request; each reads the generation
    on a connection of its own, which must not outlive it."""
    worker = _open(engines, config, Role.HTTP)
    counter = worker.store._others
    for _ in range(20):
        reader = threading.Thread(target=lambda: worker.store.generation)
        reader.start()
        reader.join()
    gc.collect()
    assert counter.open_connections <= 1


def test_a_webhook_slower_than_the_orphan_check_is_not_sent_again(config, engines, monkeypatch):
    """The runner looks for a dead runner's jobs every few seconds; its own jobs, still
    in flight, are not a dead runner's and must not run a second time."""
    from smsim.simulator import scheduler

    monkeypatch.setattr(scheduler, "ORPHAN_CHECK_SECONDS", 0.2)
    runner = _open(engines, config, Role.DELIVERY)
    started: list[int] = []

    def slow(job: Any) -> None:
        started.append(job.id)
        time.sleep(1.5)
        runner.scheduler.done(job)

    runner.scheduler.pooled["slow"] = slow
    runner.start()
    job_id = runner.scheduler.schedule(time.time(), "slow", "one", {})
    poll(lambda: started, 10, "the webhook to start")
    # several orphan checks happen while it runs; a later job wakes the loop between them
    for n in range(5):
        time.sleep(0.3)
        runner.scheduler.schedule(time.time() + 60, "later", f"l{n}", {})
    poll(
        lambda: runner.store.scalar("SELECT COUNT(*) FROM jobs WHERE id = ?", (job_id,)) == 0,
        10,
        "done",
    )
    assert started == [job_id]


def test_a_reset_in_a_worker_waits_for_the_delivery_process_webhooks(config, engines):
    http = _open(engines, config, Role.HTTP)
    runner = _open(engines, config, Role.DELIVERY)
    finished: list[float] = []

    def slow(job: Any) -> None:
        time.sleep(0.8)
        runner.scheduler.done(job)
        finished.append(time.monotonic())

    runner.scheduler.pooled["slow"] = slow
    runner.start()
    http.scheduler.schedule(time.time(), "slow", "in-flight", {})
    poll(
        lambda: http.store.scalar("SELECT COUNT(*) FROM jobs WHERE state = 'running'"),
        10,
        "the webhook to be claimed",
    )
    http.reset()
    reset_at = time.monotonic()
    assert finished and finished[0] <= reset_at, "the reset did not wait for the webhook"
    assert http.scheduler.pending() == 0
