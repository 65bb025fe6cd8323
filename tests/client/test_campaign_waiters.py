"""Stopping the client answers the requests parked on ``GET /api/campaigns/{id}?wait=``
at once instead of holding them (and the stop) until their timeout."""

from __future__ import annotations

import threading
import time
from typing import Any

from smsim.client.campaign_runner import CampaignRunner, RunnerSettings


def _never(*_args: Any) -> Any:
    raise AssertionError("nothing is sent in this test")


class _ParkSignal(threading.Condition):
    """The runner's condition, telling the test when a waiter parks on it. It is set
    while the waiter still holds the lock, so whatever the test does next under that lock
    happens after the waiter released it, parked."""

    def __init__(self, lock: Any) -> None:
        super().__init__(lock)
        self.parked = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        self.parked.set()
        return super().wait(timeout)


def test_release_waiters_answers_a_parked_wait_at_once() -> None:
    runner = CampaignRunner(
        queue=None,  # type: ignore[arg-type]  # no campaign is started
        send=_never,
        find_sent=_never,
        settings=RunnerSettings(concurrent_sends=1, chunk=1, max_attempts=1, backoff_base=0.0),
        clock=time.time,
    )
    signal = runner._changed = _ParkSignal(runner._lock)
    # A campaign this process is sending: the state a waiting request sees.
    runner._threads[7] = threading.current_thread()
    answered: list[bool] = []

    # An hour's timeout: only release_waiters can end this wait within the test.
    thread = threading.Thread(target=lambda: answered.append(runner.wait(7, 3600)), daemon=True)
    thread.start()
    assert signal.parked.wait(10), "the waiter never parked"
    runner.release_waiters()
    thread.join(30)
    assert not thread.is_alive(), "release_waiters did not answer the parked wait"
    assert answered == [False]  # still sending: not "finished"
    signal.parked.clear()
    assert runner.wait(7, timeout=3600) is False  # later waits return at once:
    assert not signal.parked.is_set()  # they do not park at all
