"""What `smsim serve --workers N` relies on, with each process played by its own engine
(its own SQLite connection) on one file: a change made through one is seen by the
others' caches and change feeds at once, and only one of them ever runs the jobs."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from pathlib import Path

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
