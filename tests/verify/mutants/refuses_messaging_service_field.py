"""Mutant: strict payload model: 400 on a field it does not declare (MessagingServiceSid)."""

from __future__ import annotations

from typing import Any

from .correct import Receiver


class Mutant(Receiver):
    catches = "status handling"

    def on_status(self, form: Any) -> tuple[str, int]:
        if "MessagingServiceSid" in form:
            return "unexpected field MessagingServiceSid", 400
        return super().on_status(form)
