"""Mutant: creates a message on its first progress callback and UPDATEs it later, so a final
status that overtakes sending/sent is dropped.
"""

from __future__ import annotations

from typing import Any

from .correct import FINAL, Receiver


class Mutant(Receiver):
    catches = "ordering"

    def apply(self, sid: str, status: str, form: Any) -> None:
        if sid not in self.state and status in FINAL:
            return  # UPDATE ... WHERE sid = ? matched no row
        super().apply(sid, status, form)
