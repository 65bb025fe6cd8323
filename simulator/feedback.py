"""The Feedback subresource of a Message: whether its recipient did what the message
asked (docs/fidelity.md, Messages API: Media and Feedback). This module owns the
``message_feedback`` table: one row per message, the latest ``Outcome`` reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from smsim.simulator.errors import TwilioError
from smsim.simulator.models import from_row
from smsim.simulator.store_api import Store

# message_feedback_enum_outcome in Twilio's spec (api.v2010.account.message.message_feedback).
OUTCOMES = ("confirmed", "unconfirmed")
DEFAULT_OUTCOME = "confirmed"


@dataclass(frozen=True)
class Feedback:
    message_sid: str
    account_sid: str
    outcome: str
    date_created: float
    date_updated: float


def parse_outcome(raw: str | None) -> str:
    """``Outcome`` as sent: one of :data:`OUTCOMES`; absent means ``confirmed`` (what the
    resource is for: "confirm a tracked user action was performed"); else 20001."""
    if raw is None or raw == "":
        return DEFAULT_OUTCOME
    if raw not in OUTCOMES:
        raise TwilioError(
            20001, 400, f"Invalid Outcome {raw}: must be one of {', '.join(OUTCOMES)}"
        )
    return raw


class FeedbackRows:
    """The ``message_feedback`` table: the only place that writes SQL for it."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def record(self, account_sid: str, message_sid: str, outcome: str, now: float) -> Feedback:
        """Record ``outcome`` for a message; a later report replaces the outcome and
        moves ``date_updated``, ``date_created`` stays the first report's."""
        with self.store.transaction():
            self.store.execute(
                "INSERT INTO message_feedback (message_sid, account_sid, outcome, date_created,"
                " date_updated) VALUES (?,?,?,?,?) ON CONFLICT (message_sid) DO UPDATE SET"
                " outcome = excluded.outcome, date_updated = excluded.date_updated",
                (message_sid, account_sid, outcome, now, now),
            )
            row = self.store.one(
                "SELECT * FROM message_feedback WHERE message_sid = ?", (message_sid,)
            )
        assert row is not None
        return from_row(Feedback, row)

    def find(self, message_sid: str) -> Feedback | None:
        row = self.store.one("SELECT * FROM message_feedback WHERE message_sid = ?", (message_sid,))
        return None if row is None else from_row(Feedback, row)

    def delete_of_message(self, message_sid: str) -> None:
        """Forget a message's feedback (the message itself is going)."""
        self.store.execute("DELETE FROM message_feedback WHERE message_sid = ?", (message_sid,))

    def delete_of_account(self, account_sid: str) -> None:
        """Forget the feedback on an account's messages (the account is going)."""
        self.store.execute("DELETE FROM message_feedback WHERE account_sid = ?", (account_sid,))
