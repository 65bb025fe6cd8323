"""Mutant: maps ErrorCode to a label with a dict of the carrier codes 30003-30008: 500 on any
other code.
"""

from __future__ import annotations

from typing import Any

from .correct import Receiver


class Mutant(Receiver):
    catches = "error codes"

    LABELS = {
        30003: "unreachable",
        30004: "blocked",
        30005: "unknown",
        30006: "landline",
        30007: "filtered",
        30008: "unknown error",
    }

    def on_status(self, form: Any) -> tuple[str, int]:
        if "ErrorCode" in form:
            assert self.LABELS[int(form["ErrorCode"])]  # KeyError -> HTTP 500
        return super().on_status(form)
