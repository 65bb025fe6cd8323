"""Mutant: reads the picture from MediaUrl (no index): 500 on every MMS reply."""

from __future__ import annotations

from typing import Any

from .correct import Receiver


class Mutant(Receiver):
    catches = "handset replies"

    def count_reply(self, form: Any) -> None:
        if int(form.get("NumMedia", "0")) > 0:
            assert form["MediaUrl"]  # Twilio sends MediaUrl0: KeyError -> HTTP 500
        super().count_reply(form)
