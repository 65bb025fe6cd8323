"""Mutant: counts undelivered (the carrier gave up) as delivered."""

from __future__ import annotations

from typing import Any

from .correct import Receiver


class Mutant(Receiver):
    catches = "error codes"

    def stats(self) -> dict[str, Any]:
        stats = super().stats()
        undelivered = list(self.state.values()).count("undelivered")
        return {
            **stats,
            "delivered": stats["delivered"] + undelivered,
            "failed": stats["failed"] - undelivered,
        }
