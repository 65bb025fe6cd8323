"""Mutant: counts only failed as failed; undelivered messages vanish from the numbers."""

from __future__ import annotations

from typing import Any

from .correct import Receiver


class Mutant(Receiver):
    catches = "error codes"

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "failed": list(self.state.values()).count("failed")}
