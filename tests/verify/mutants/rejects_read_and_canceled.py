"""Mutant: handles the SMS statuses, answers 400 to read and canceled."""

from __future__ import annotations

from typing import Any

from .correct import Receiver


class Mutant(Receiver):
    catches = "status handling"

    def on_status(self, form: Any) -> tuple[str, int]:
        if form.get("MessageStatus") in ("read", "canceled"):
            return "unsupported status", 400
        return super().on_status(form)
