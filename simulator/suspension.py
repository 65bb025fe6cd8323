"""Suspending an account (``POST /_smsim/accounts/{sid}/suspend``, or ``Status=suspended``
on the Account resource).

Twilio: "accepted the message for queueing, but your account was suspended before Twilio
could send it" -> 30002 (fidelity.md: Errors and magic numbers). So every message not yet
handed to a carrier (queued, accepted, scheduled) fails with 30002 and its callback, and new
sends are refused (20005, in ``messages``) until the account is active again.
"""

from __future__ import annotations

from smsim.simulator.accounts import Accounts
from smsim.simulator.delivery import Delivery
from smsim.simulator.messages import Messages
from smsim.simulator.models import Account
from smsim.simulator.store_api import Store

NOT_YET_SENT = ("queued", "accepted", "scheduled")
SUSPENDED_CODE = 30002


class Suspension:
    """Suspends accounts, failing what they had not yet sent."""

    def __init__(
        self, store: Store, accounts: Accounts, messages: Messages, delivery: Delivery
    ) -> None:
        self.store = store
        self.accounts = accounts
        self.messages = messages
        self.delivery = delivery

    def suspend(self, account_sid: str) -> Account:
        with self.store.transaction():
            account = self.accounts.update(account_sid, friendly_name=None, status="suspended")
            for message in self.messages.with_status(account_sid, NOT_YET_SENT):
                self.delivery.fail(message, SUSPENDED_CODE)
        return account
