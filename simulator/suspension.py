"""Suspending an account (``POST /_smsim/accounts/{sid}/suspend``, or ``Status=suspended``
on the Account resource).

Twilio: "accepted the message for queueing, but your account was suspended before Twilio
could send it" -> 30002 (fidelity.md: Errors and magic numbers). So every message not yet handed to
a carrier (queued, accepted, scheduled) fails with 30002 and its callback, and new sends are
refused (20005, in ``messages``) until the account is active again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from smsim.simulator.messages import row_to_message

if TYPE_CHECKING:
    from smsim.simulator.engine import Engine

NOT_YET_SENT = ("queued", "accepted", "scheduled")
SUSPENDED_CODE = 30002


def suspender(engine: Engine) -> Callable[[str], None]:
    """The function that suspends one account of ``engine``."""

    def suspend(account_sid: str) -> None:
        with engine.store.transaction():
            engine.accounts.update(account_sid, friendly_name=None, status="suspended")
            marks = ",".join("?" * len(NOT_YET_SENT))
            rows = engine.store.all(
                f"SELECT * FROM messages WHERE account_sid = ? AND status IN ({marks}) ORDER BY id",
                [account_sid, *NOT_YET_SENT],
            )
            for row in rows:
                engine.delivery.fail(row_to_message(row), SUSPENDED_CODE)

    return suspend


def attach(engine: Engine) -> Callable[[str], None]:
    suspend = suspender(engine)
    engine.extensions["suspend"] = suspend
    return suspend
