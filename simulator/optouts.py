"""The ``optouts`` table: which handsets opted out of which sender (a Twilio number or a
Messaging Service SID), per account. Keyword rules live in ``optout_keywords``; this module
only stores and answers."""

from __future__ import annotations

from collections.abc import Sequence

from smsim.simulator.store_api import Store


class OptOuts:
    """Opt-out blocks, one row per (account, scope, handset)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def block(self, account_sid: str, scope: str, handset: str, at: float) -> None:
        self.store.execute(
            "INSERT INTO optouts (account_sid, scope, handset, date_created)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (account_sid, scope, handset, at),
        )

    def unblock(self, account_sid: str, handset: str, scopes: Sequence[str]) -> None:
        if not scopes:
            return
        marks = ",".join("?" * len(scopes))
        self.store.execute(
            f"DELETE FROM optouts WHERE account_sid = ? AND handset = ? AND scope IN ({marks})",
            [account_sid, handset, *scopes],
        )

    def remove_of_account(self, account_sid: str) -> None:
        """Forget every block of ``account_sid`` (the account is being removed)."""
        self.store.execute("DELETE FROM optouts WHERE account_sid = ?", (account_sid,))

    def blocked(self, account_sid: str, handset: str, scopes: Sequence[str]) -> bool:
        """True when ``handset`` opted out of any of ``scopes``."""
        if not scopes:
            return False
        marks = ",".join("?" * len(scopes))
        row = self.store.one(
            f"SELECT 1 FROM optouts WHERE account_sid = ? AND handset = ? AND scope IN ({marks})",
            [account_sid, handset, *scopes],
        )
        return row is not None
