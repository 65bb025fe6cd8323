"""Mutant: acknowledges a signed callback without MessageSid (200) instead of refusing it."""

from __future__ import annotations

from typing import Any

from flask import Request

from .correct import Receiver


class Mutant(Receiver):
    catches = "signature and refusals"

    def refuse(self, req: Request) -> tuple[str, int] | None:
        refused = super().refuse(req)
        return None if refused == ("MessageSid required", 400) else refused

    def on_status(self, form: Any) -> tuple[str, int]:
        if "MessageSid" not in form:
            return "", 200
        return super().on_status(form)
