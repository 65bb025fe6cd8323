"""Mutant: counts error codes per failure callback, not per message: a retried failure doubles
its code.
"""

from __future__ import annotations

from typing import Any

from .correct import Receiver


class Mutant(Receiver):
    catches = "idempotency"

    def __init__(self) -> None:
        super().__init__()
        self.code_log: list[str] = []

    def on_status(self, form: Any) -> tuple[str, int]:
        if "ErrorCode" in form:
            self.code_log.append(form["ErrorCode"])
        return super().on_status(form)

    def stats(self) -> dict[str, Any]:
        errors: dict[str, int] = {}
        for code in self.code_log:
            errors[code] = errors.get(code, 0) + 1
        return {**super().stats(), "errors": errors}
