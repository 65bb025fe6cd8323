"""Mutant: treats read as the newest state, so a read message no longer counts as delivered."""

from __future__ import annotations

from typing import Any

from .correct import Receiver


class Mutant(Receiver):
    catches = "status handling"

    def apply(self, sid: str, status: str, form: Any) -> None:
        if status == "read":
            self.state[sid] = "read"
            return
        super().apply(sid, status, form)
