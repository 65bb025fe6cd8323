"""The supervisor behind `smsim serve --workers N`: it waits for every child to be ready,
starts again a child that dies, gives up (exit 1) on one that keeps dying at once, and
its children stop when it is gone."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from smsim import prefork
from smsim.testing import poll, process_alive


def _ready_then_wait(life: prefork.ChildLife) -> int:
    life.ready()
    life.wait(lambda: True)
    return 0


def test_every_child_is_ready_then_a_killed_one_is_started_again(capfd):
    children = [
        prefork.Child("worker", _ready_then_wait),
        prefork.Child("delivery", _ready_then_wait),
    ]
    supervisor = prefork.Supervisor(children, "test")
    supervisor.start()
    try:
        assert supervisor.wait_ready(20)
        first = supervisor.pids()["delivery"]
        os.kill(first, signal.SIGKILL)
        rounds = iter(range(100))
        code = supervisor.supervise(
            lambda: next(rounds) > 20 or supervisor.pids().get("delivery", first) != first
        )
        assert code == 0
    finally:
        supervisor.stop()
    assert children[1].restarts == 1
    assert len(children[1].history) == 2
    err = capfd.readouterr().err
    assert f"the delivery process (pid {first}) was killed by SIGKILL; starting it again" in err
    assert supervisor.pids() == {}


def test_a_child_that_fails_to_start_is_named():
    supervisor = prefork.Supervisor([prefork.Child("delivery", lambda life: 3)], "test")
    supervisor.start()
    try:
        assert not supervisor.wait_ready(20)
    finally:
        supervisor.stop()
    assert "the delivery process" in supervisor.failed
    assert "exited with 3 while starting" in supervisor.failed


def test_a_child_that_keeps_dying_makes_the_supervisor_give_up(capfd):
    def ready_then_die(life: prefork.ChildLife) -> int:
        life.ready()
        return 4

    supervisor = prefork.Supervisor([prefork.Child("worker", ready_then_die)], "test")
    supervisor.start()
    deadline = time.monotonic() + 30
    code = supervisor.supervise(lambda: time.monotonic() > deadline)
    assert code == 1
    assert "times in a row soon after starting" in supervisor.failed
    assert "stopping" in capfd.readouterr().err
    assert supervisor.pids() == {}


def test_children_stop_when_the_parent_is_killed(tmp_path: Path):
    pids_file = tmp_path / "pids"
    middle = os.fork()
    if middle == 0:  # a parent of its own, killed below
        try:
            supervisor = prefork.Supervisor([prefork.Child("worker", _ready_then_wait)], "test")
            supervisor.start()
            supervisor.wait_ready(20)
            pids_file.write_text(str(supervisor.pids()["worker"]))
            time.sleep(60)
        finally:
            os._exit(0)
    child = int(poll(lambda: pids_file.exists() and pids_file.read_text(), 20, "the child"))
    os.kill(middle, signal.SIGKILL)
    os.waitpid(middle, 0)

    def gone() -> bool:
        return not process_alive(child)

    try:
        poll(gone, 10, "the orphaned child to stop")
    finally:
        if not gone():
            os.kill(child, signal.SIGKILL)
