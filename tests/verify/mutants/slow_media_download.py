"""Mutant: downloads every MediaUrl before answering: slower than Twilio waits."""

from __future__ import annotations

from typing import Any

from .correct import SLOW_SECONDS, Receiver, pause


class Mutant(Receiver):
    catches = "timeout"

    def prepare(self, form: Any) -> None:
        if int(form.get("NumMedia", "0")) > 0:
            pause(SLOW_SECONDS)  # stands for fetching the picture
