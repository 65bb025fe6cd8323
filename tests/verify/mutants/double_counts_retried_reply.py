"""Mutant: counts every incoming webhook, so a reply Twilio retries is two replies."""

from __future__ import annotations

from typing import Any

from .correct import Receiver


class Mutant(Receiver):
    catches = "idempotency"

    def __init__(self) -> None:
        super().__init__()
        self.reply_log: list[str] = []

    def count_reply(self, form: Any) -> None:
        self.reply_log.append(form["MessageSid"])

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "replied": len(self.reply_log)}
