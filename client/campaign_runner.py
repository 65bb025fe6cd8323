"""The background sender: one coordinator thread per running campaign, one bounded pool of
sender threads shared by all of them.

A coordinator claims a chunk of due recipients (committed before anything is sent, see
campaign_queue), hands them to the pool, records the answers and the ``done`` marks in one
commit, and goes on until nothing is queued. When Twilio asks it to slow down (HTTP 429,
including 21611 "queue full", or a 5xx answer) the recipient goes back to the queue and the
whole campaign pauses for a back-off that doubles on each throttled chunk (and halves after
a clean one), up to ``max_attempts`` tries per recipient; then that answer is its result.
A stop (the process shutting down) lets in-flight requests finish and leaves the campaign
``sending``, so :meth:`CampaignRunner.resume` picks it up at the next start.

The client is one process (its store is SQLite): the runner that queues a campaign is the
one that sends it, so a start, a cancel and a wait are calls between threads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from smsim.client.campaign_queue import CampaignQueue, Claimed
from smsim.client.store import SendOutcome
from smsim.client.twilio_rest import SendResult

log = logging.getLogger("smsim.client.campaigns")

#: sends one claimed recipient of a campaign and returns Twilio's answer
SendFn = Callable[[int, Claimed], SendResult]
#: at resume: the SID of a message Twilio already has for this claim, None when it has
#: none, or raises when Twilio cannot be asked
FindFn = Callable[[int, Claimed], "str | None"]


@dataclass(frozen=True)
class RunnerSettings:
    """How hard the background sender pushes and how it backs off."""

    workers: int = 8
    chunk: int = 32
    max_attempts: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 30.0


def is_throttled(result: SendResult) -> bool:
    """Twilio asked the sender to slow down (429, incl. 21611) or failed on its side (5xx)."""
    status = result.http_status or 0
    return not result.ok and (status == 429 or status >= 500)


def outcome_of(message_id: int, result: SendResult) -> SendOutcome:
    """A send result as the store records it."""
    return SendOutcome(
        message_id=message_id,
        sid=result.sid,
        status=(result.status or "queued") if result.ok else "failed",
        from_number=result.from_number,
        error_code=result.error_code,
        error_message=result.error_message,
    )


class CampaignRunner:
    """Runs campaigns in the background; thread-safe."""

    def __init__(
        self,
        queue: CampaignQueue,
        send: SendFn,
        find_sent: FindFn,
        settings: RunnerSettings,
        clock: Any,
    ) -> None:
        self.queue = queue
        self._send = send
        self._find_sent = find_sent
        self.settings = settings
        self._clock = clock
        self._pool: ThreadPoolExecutor | None = None
        self._threads: dict[int, threading.Thread] = {}
        self._wakeups: dict[int, threading.Event] = {}
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._released = False  # the server is stopping: waits answer at once

    # -- control -------------------------------------------------------------------------

    def start(self, campaign_id: int) -> None:
        """Start sending a queued campaign in the background."""
        with self._lock:
            if self._stopping.is_set() or campaign_id in self._threads:
                return
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.settings.workers, thread_name_prefix="send")
            wake = threading.Event()
            thread = threading.Thread(
                target=self._run, args=(campaign_id, wake), name=f"campaign-{campaign_id}"
            )
            thread.daemon = True
            self._threads[campaign_id] = thread
            self._wakeups[campaign_id] = wake
        thread.start()

    def resume(self) -> list[int]:
        """Restart every campaign a previous process left ``sending``; returns their ids."""
        resumed: list[int] = list(self.queue.running())
        for campaign_id in resumed:
            self._settle_claims(campaign_id)
            self.start(campaign_id)
        if resumed:
            log.info("resumed campaigns %s", resumed)
        return resumed

    def cancel(self, campaign_id: int) -> int:
        """Stop sending a campaign; requests in flight finish. Returns recipients canceled."""
        canceled = int(self.queue.cancel(campaign_id))
        with self._lock:
            wake = self._wakeups.get(campaign_id)
            self._changed.notify_all()
        if wake is not None:
            wake.set()
        return canceled

    def wait(self, campaign_id: int, timeout: float) -> bool:
        """Wait until the campaign is no longer being sent; False on timeout."""
        with self._lock:
            self._changed.wait_for(
                lambda: self._released or campaign_id not in self._threads, timeout
            )
            return campaign_id not in self._threads

    def release_waiters(self) -> None:
        """Answer every :meth:`wait` now, and later ones at once (the server is stopping
        and must not hold its waiting requests until their timeout)."""
        with self._lock:
            self._released = True
            self._changed.notify_all()

    def stop(self, timeout: float = 20.0) -> None:
        """Stop every coordinator after its in-flight chunk; campaigns stay resumable."""
        self._stopping.set()
        with self._lock:
            threads = list(self._threads.values())
            for wake in self._wakeups.values():
                wake.set()
        for thread in threads:
            thread.join(timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    # -- the coordinator -----------------------------------------------------------------

    def _run(self, campaign_id: int, wake: threading.Event) -> None:
        try:
            self._send_campaign(campaign_id, wake)
        except Exception:  # a bug or a closed store: log it, the campaign stays resumable
            log.exception("campaign %s: sender stopped", campaign_id)
        finally:
            with self._lock:
                self._threads.pop(campaign_id, None)
                self._wakeups.pop(campaign_id, None)
                self._changed.notify_all()

    def _send_campaign(self, campaign_id: int, wake: threading.Event) -> None:
        backoff = 0.0
        while not self._stopping.is_set():
            if self.queue.state(campaign_id) != "sending":
                return  # canceled
            batch = self.queue.claim(campaign_id, self.settings.chunk)
            if not batch:
                due = self.queue.next_due(campaign_id)
                if due is None:
                    if self.queue.finish(campaign_id):
                        log.info("campaign %s handed to Twilio", campaign_id)
                    return
                wake.wait(min(max(due - self._clock(), 0.01), 1.0))
                wake.clear()
                continue
            throttled = self._send_batch(campaign_id, batch)
            if throttled:
                backoff = min(
                    max(backoff * 2, self.settings.backoff_base), self.settings.backoff_max
                )
                self.queue.requeue(throttled, self._clock() + backoff, throttled=True)
                log.info(
                    "campaign %s: Twilio asked to slow down; %s recipient(s) retried in %.2fs",
                    campaign_id,
                    len(throttled),
                    backoff,
                )
                wake.wait(backoff)  # the whole campaign pauses, not just these recipients
                wake.clear()
            else:
                backoff = backoff / 2 if backoff > self.settings.backoff_base else 0.0

    def _send_batch(self, campaign_id: int, batch: list[Claimed]) -> list[int]:
        """Send a claimed chunk; record the answers; return recipients to retry later."""
        assert self._pool is not None
        futures: list[tuple[Claimed, Future[SendResult]]] = [
            (claim, self._pool.submit(self._send, campaign_id, claim)) for claim in batch
        ]
        # every request of the chunk ends before any answer is read: should one raise,
        # none is still in flight when the campaign's claims are next settled
        wait([future for _, future in futures])
        outcomes: list[SendOutcome] = []
        retry: list[int] = []
        for claim, future in futures:
            result = future.result()
            if is_throttled(result) and claim.attempts < self.settings.max_attempts:
                retry.append(claim.message_id)
            else:
                outcomes.append(outcome_of(claim.message_id, result))
        self.queue.complete(outcomes)
        with self._lock:
            self._changed.notify_all()
        return retry

    def _settle_claims(self, campaign_id: int) -> None:
        """Recipients claimed by a process that died: adopt what Twilio already has, queue
        the rest again; when Twilio cannot be asked, fail them rather than send twice."""
        adopted: list[SendOutcome] = []
        unknown: list[SendOutcome] = []
        again: list[int] = []
        for claim in self.queue.claimed(campaign_id):
            try:
                sid = self._find_sent(campaign_id, claim)
            except Exception as exc:
                unknown.append(
                    SendOutcome(
                        claim.message_id,
                        None,
                        "failed",
                        None,
                        None,
                        f"not resent after a restart: could not ask Twilio whether it was sent"
                        f" ({exc})",
                    )
                )
                continue
            if sid is None:
                again.append(claim.message_id)
            else:
                adopted.append(SendOutcome(claim.message_id, sid, "queued", None, None, None))
        self.queue.complete(adopted + unknown)
        self.queue.requeue(again, 0.0)
        log.info(
            "campaign %s: %s in-flight recipient(s) found at Twilio, %s queued again, %s unknown",
            campaign_id,
            len(adopted),
            len(again),
            len(unknown),
        )
