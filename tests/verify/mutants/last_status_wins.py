"""Mutant: stores whatever status arrived last, so a late sent after failed/undelivered
overwrites the final state.
"""

from __future__ import annotations

from typing import Any

from .correct import Receiver


class Mutant(Receiver):
    catches = "ordering"

    def apply(self, sid: str, status: str, form: Any) -> None:
        self.state[sid] = status
        if "ErrorCode" in form:
            self.error_of[sid] = form["ErrorCode"]
