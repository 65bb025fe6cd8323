"""Stopping the client answers the requests parked on ``GET /api/campaigns/{id}?wait=``
at once instead of holding them (and the stop) until their timeout."""

from __future__ import annotations

import threading
import time
from typing import Any

from smsim.client.campaign_runner import CampaignRunner, RunnerSettings


def _never(*_args: Any) -> Any:
    raise AssertionError("nothing is sent in this test")


def test_release_waiters_answers_a_parked_wait_at_once() -> None:
    runner = CampaignRunner(
        queue=None,  # type: ignore[arg-type]  # no campaign is started
        send=_never,
        find_sent=_never,
        settings=RunnerSettings(workers=1, chunk=1, max_attempts=1, backoff_base=0.0),
        clock=time.time,
    )
    # A campaign this process is sending: the state a waiting request sees.
    runner._threads[7] = threading.current_thread()
    answered: list[tuple[bool, float]] = []

    def waiter() -> None:
        began = time.monotonic()
        answered.append((runner.wait(7, timeout=30), time.monotonic() - began))

    thread = threading.Thread(target=waiter)
    thread.start()
    time.sleep(0.2)  # the waiter is parked
    runner.release_waiters()
    thread.join(5)
    assert answered and answered[0][0] is False  # still sending: not "finished"
    assert answered[0][1] < 5  # answered on release, not after its 30 s timeout
    began = time.monotonic()
    assert runner.wait(7, timeout=30) is False  # later waits return at once
    assert time.monotonic() - began < 1
