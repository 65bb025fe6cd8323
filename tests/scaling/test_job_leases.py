"""Job claims under leases on PostgreSQL: a dead instance's jobs go to a live one when
their lease ends, a live one's never do, and runners in two processes claim each job
once. Each engine here plays one process (its own pool, listener and instance id)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from smsim.simulator import notices
from smsim.simulator.config import SimulatorConfig
from smsim.simulator.engine import Engine, Role
from smsim.simulator.scheduler import Job
from smsim.testing import poll

LEASE = 0.5


@pytest.fixture
def config(postgres_url: str) -> SimulatorConfig:
    return SimulatorConfig(db_path=postgres_url, clock="real", job_lease=LEASE)


@pytest.fixture
def engines() -> Iterator[list[Engine]]:
    opened: list[Engine] = []
    yield opened
    for engine in opened:
        engine.close()


def _open(engines: list[Engine], config: SimulatorConfig, role: Role = Role.ALL) -> Engine:
    engine = Engine(config, role)
    engines.append(engine)
    return engine


def _claimed_by_someone_else(engine: Engine, job_id: int, lease_until: float) -> None:
    """What a claim by another instance leaves in the row."""
    engine.store.execute(
        "UPDATE jobs SET state = 'running', claimed_by = 'gone-host-1-abcdef', lease_until = ?"
        " WHERE id = ?",
        (lease_until, job_id),
    )


def test_a_dead_instances_job_runs_on_another_once_its_lease_ends_and_a_live_lease_holds(
    config, engines
):
    http = _open(engines, config, Role.HTTP)
    dead = http.scheduler.schedule(time.time(), "probe", "dead", {})
    alive = http.scheduler.schedule(time.time(), "probe", "alive", {})
    _claimed_by_someone_else(http, dead, time.time() + LEASE)  # then it was killed
    _claimed_by_someone_else(http, alive, time.time() + 3600)  # still renewing
    ran: list[int] = []
    runner = _open(engines, config, Role.DELIVERY)
    runner.scheduler.inline["probe"] = lambda job: ran.append(job.id)
    runner.start()

    poll(lambda: ran, 30, "the dead instance's job")
    assert ran == [dead]
    state = http.store.one("SELECT state, claimed_by FROM jobs WHERE id = ?", (alive,))
    assert state is not None and tuple(state) == ("running", "gone-host-1-abcdef")


def test_a_job_outlasting_its_lease_is_renewed_and_never_handed_to_another(config, engines):
    first = _open(engines, config, Role.DELIVERY)
    second = _open(engines, config, Role.DELIVERY)
    release = threading.Event()
    started: list[tuple[str, int]] = []
    for name, engine in (("first", first), ("second", second)):

        def slow(job: Job, name: str = name, engine: Engine = engine) -> None:
            started.append((name, job.id))
            release.wait(60)
            engine.scheduler.done(job)

        engine.scheduler.pooled["slow"] = slow
    first.start()
    job_id = first.scheduler.schedule(time.time(), "slow", "slow", {})
    poll(lambda: started, 30, "the job to start")
    second.start()  # sweeps for expired leases every quarter lease
    leases: list[float] = []

    def renewed_three_times() -> bool:
        lease = float(first.store.scalar("SELECT lease_until FROM jobs WHERE id = ?", (job_id,)))
        if not leases or lease > leases[-1]:
            leases.append(lease)
        return len(leases) >= 4

    poll(renewed_three_times, 30, "three renewals of the lease", every=LEASE / 4)
    release.set()
    poll(lambda: first.scheduler.pending() == 0, 30, "the job to finish")
    assert started == [("first", job_id)]


def test_runners_in_two_processes_claim_each_job_once(config, engines):
    http = _open(engines, config, Role.HTTP)
    ran: list[tuple[str, int]] = []
    lock = threading.Lock()
    for name in ("a", "b"):
        runner = _open(engines, config, Role.DELIVERY)

        def record(job: Job, name: str = name) -> None:
            with lock:
                ran.append((name, job.id))

        runner.scheduler.inline["probe"] = record
        runner.start()
    ids = [http.scheduler.schedule(time.time(), "probe", f"j{n}", {}) for n in range(400)]
    poll(lambda: http.scheduler.pending() == 0, 60, "every job")
    counts = Counter(job_id for _, job_id in ran)
    assert sorted(counts) == sorted(ids) and set(counts.values()) == {1}


def test_a_job_scheduled_by_one_process_wakes_a_sleeping_runner_in_another(
    config, engines, monkeypatch
):
    """The runner sleeps until its next due job (none: for ever) and the listener's
    fallback tick is an hour away, so only the notification can wake it."""
    monkeypatch.setattr(notices, "FALLBACK_SECONDS", 3600.0)
    http = _open(engines, config, Role.HTTP)
    runner = _open(engines, config, Role.DELIVERY)
    ran = threading.Event()
    runner.scheduler.inline["probe"] = lambda job: ran.set()
    runner.start()
    listener = runner.coordination.listener
    assert listener is not None
    poll(listener.connected.is_set, 30, "the runner's listener")
    http.scheduler.schedule(time.time(), "probe", "wake", {})
    assert ran.wait(60), "the runner was not woken by the notification"
