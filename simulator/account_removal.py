"""Removing an account and everything kept for it (``DELETE /_smsim/accounts/{sid}``).

For tools that create throwaway accounts on a shared simulator, such as ``smsim run
--against``, so that they leave it as they found it. Twilio itself only closes accounts
(``Status=closed``; they stay listed); this is the simulator's own control surface.

Subaccounts go first, then the account's pending lifecycle steps and webhooks, its
messages, its callback attempts (lost ones included), its Messaging Services, opt-outs,
API keys, numbers and verified numbers, and the account, all in one transaction: a
reader sees the account whole or gone. A step or webhook already running when the
account goes finishes on its own (a step finds no message and stops).
"""

from __future__ import annotations

from smsim.simulator.accounts import Accounts
from smsim.simulator.messages import Messages
from smsim.simulator.optouts import OptOuts
from smsim.simulator.scheduler import Scheduler
from smsim.simulator.services import Services
from smsim.simulator.store_api import Store
from smsim.simulator.webhooks import AttemptLog


class AccountRemoval:
    """Removes accounts through each table's owner."""

    def __init__(
        self,
        store: Store,
        accounts: Accounts,
        messages: Messages,
        scheduler: Scheduler,
        attempts: AttemptLog,
        services: Services,
        optouts: OptOuts,
    ) -> None:
        self.store = store
        self.accounts = accounts
        self.messages = messages
        self.scheduler = scheduler
        self.attempts = attempts
        self.services = services
        self.optouts = optouts

    def remove(self, account_sid: str) -> list[str]:
        """Remove ``account_sid`` and its subaccounts; returns the SIDs removed, the
        account's last. The caller checks that the account exists."""
        with self.store.transaction():
            removed = self._remove(account_sid)
            self.store.bump_generation()  # other processes drop what they cached of it
        return removed

    def _remove(self, account_sid: str) -> list[str]:
        removed: list[str] = []
        for sub in self.accounts.subaccounts(account_sid):
            if sub.sid != account_sid:
                removed += self._remove(sub.sid)
        for message_sid in self.messages.remove_of_account(account_sid):
            self.scheduler.cancel(message_sid)
        self.attempts.remove_of_account(account_sid)
        for service in self.services.of_account(account_sid):
            self.services.delete(account_sid, service.sid)
        self.optouts.remove_of_account(account_sid)
        self.accounts.remove(account_sid)
        return [*removed, account_sid]
