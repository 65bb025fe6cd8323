"""The simulator's job runner on a database file, one process: jobs a stopped process had
claimed run again at the next start, and a slow receiver never gets more webhooks claimed
than its workers can take."""

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


def test_steps_gather_under_load_yet_every_one_runs_and_a_lone_step_runs_at_once(
    config, engines, monkeypatch
):
    """Under load, due lifecycle steps are claimed in bigger, fewer batches (they wait for
    the gathering to end); a webhook is not held back by it, a small claim starts no
    gathering, and nothing due is left behind."""
    from smsim.simulator import scheduler as scheduler_module

    monkeypatch.setattr(scheduler_module, "GATHER_SECONDS", 0.5)  # wide: a busy CI box
    busy = scheduler_module.BUSY_BATCH
    engine = _open(engines, config)
    scheduler = engine.scheduler
    ran: dict[str, float] = {}
    hooked: dict[str, float] = {}
    scheduler.inline["probe"] = lambda job: ran.__setitem__(job.ref, time.time())

    def hook(job: Any) -> None:
        hooked[job.ref] = time.time()
        with scheduler.store.transaction():
            scheduler.done(job)

    scheduler.pooled["hook"] = hook
    engine.start()

    scheduler.schedule(time.time(), "probe", "lone", {})
    poll(lambda: "lone" in ran, 5, "the lone step")
    assert scheduler._gather_until == 0.0  # one step is no load: nothing gathers

    burst_at = time.time()
    with scheduler.store.transaction():  # committed together: claimed as one batch
        for n in range(busy * 2):
            scheduler.schedule(burst_at, "probe", f"burst-{n}", {})
    poll(lambda: len(ran) == 1 + busy * 2, 5, "the burst")
    assert scheduler._gather_until > burst_at  # a big claim: steps now gather

    later_at = time.time()
    for n in range(3):  # due while steps gather: they wait for it, none is lost
        scheduler.schedule(later_at, "probe", f"later-{n}", {})
    scheduler.schedule(later_at, "hook", "webhook", {})  # webhooks do not wait
    poll(lambda: all(f"later-{n}" in ran for n in range(3)), 5, "the steps due meanwhile")
    poll(lambda: "webhook" in hooked, 5, "the webhook")
    assert hooked["webhook"] < min(ran[f"later-{n}"] for n in range(3))
    assert scheduler.pending() == 0
