"""Mutant: opt-out handler looks up the campaign the keyword answers: 500 on STOP/START/HELP."""

from __future__ import annotations

from typing import Any

from .correct import Receiver


class Mutant(Receiver):
    catches = "handset replies"

    def count_reply(self, form: Any) -> None:
        if form.get("OptOutType"):
            raise LookupError("no campaign for this opt-out")  # HTTP 500
        super().count_reply(form)
