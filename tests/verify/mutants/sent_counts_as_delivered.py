"""Mutant: counts a message as delivered once it is sent."""

from __future__ import annotations

from typing import Any

from .correct import Receiver


class Mutant(Receiver):
    catches = "status handling"

    def stats(self) -> dict[str, Any]:
        stats = super().stats()
        return {**stats, "delivered": stats["delivered"] + list(self.state.values()).count("sent")}
