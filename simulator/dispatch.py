"""Running webhook jobs: send one attempt, let the inbound handler read the answer, log
the attempt, and schedule the retry the URL's fragment asks for.

Webhooks are queued as ``webhook`` jobs (by delivery and inbound); the scheduler runs
them on its worker threads, so network I/O never holds the store's lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from smsim.group_commit import GroupCommit
from smsim.simulator.accounts import Accounts
from smsim.simulator.clock import Clock
from smsim.simulator.scheduler import Job, Scheduler
from smsim.simulator.store_api import Store
from smsim.simulator.webhooks import AttemptLog, AttemptResult, Sender, Webhook

log = logging.getLogger("smsim.delivery")

WEBHOOK = "webhook"

ResponseHandler = Callable[[Webhook, AttemptResult], None]


def retry_delay(attempt: int) -> float:
    """Seconds before retry ``attempt + 1``: 1, 2, 4, 8, 16 (smsim's choice; Twilio does
    not document the spacing of the retries a ``#rc`` fragment asks for)."""
    return float(2 ** (attempt - 1))


class Dispatcher:
    """Sends queued webhooks, signed with their account's auth token."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        accounts: Accounts,
        scheduler: Scheduler,
        sender: Sender,
        attempts: AttemptLog,
        inbound_response: ResponseHandler,
    ) -> None:
        self.store = store
        self.clock = clock
        self.accounts = accounts
        self.scheduler = scheduler
        self.sender = sender
        self.attempts = attempts
        self.inbound_response = inbound_response
        self.log_writes = GroupCommit(store)
        scheduler.pooled[WEBHOOK] = self._run

    def _token(self, account_sid: str) -> str:
        """The account's auth token now (cached by the accounts module until the account
        changes, so a new token signs the next webhook)."""
        account = self.accounts.cached(account_sid)
        return account.auth_token if account else ""

    def _run(self, job: Job) -> None:
        webhook = Webhook.from_payload(job.payload)
        result = self.sender.send(webhook, self._token(webhook.account_sid))
        if webhook.kind == "inbound":
            try:
                self.inbound_response(webhook, result)
            except Exception:  # a broken TwiML reply must never crash delivery
                log.exception("inbound response handling failed")
        overrides = result.overrides
        retry = (
            not result.ok
            and webhook.attempt <= overrides.retry_count
            and result.failure is not None
            and overrides.retries_on(result.failure)
            and webhook.elapsed + result.duration < overrides.total_timeout
        )
        gave_up = not result.ok and not retry
        now = self.clock.now()
        next_try: dict[str, Any] | None = None
        if retry:
            next_try = replace(
                webhook, attempt=webhook.attempt + 1, elapsed=webhook.elapsed + result.duration
            ).to_payload()

        def log_attempt() -> None:
            self.attempts.record(job.id, webhook, result, now, gave_up)
            self.scheduler.done(job)
            if next_try is not None:
                self.scheduler.schedule(
                    now + retry_delay(webhook.attempt), WEBHOOK, job.ref, next_try
                )

        # Shares a transaction with the other workers' attempts finishing now.
        self.log_writes.write(log_attempt)
