"""Mutant: answers 400 to any status but queued/sent/delivered/undelivered/failed (sending,
read, canceled, ...).
"""

from __future__ import annotations

from typing import Any

from .correct import Receiver


class Mutant(Receiver):
    catches = "status handling"

    def on_status(self, form: Any) -> tuple[str, int]:
        if form.get("MessageStatus") not in (
            "queued",
            "sent",
            "delivered",
            "undelivered",
            "failed",
        ):
            return "unknown status", 400
        return super().on_status(form)
