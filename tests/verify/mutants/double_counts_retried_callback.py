"""Mutant: no (MessageSid, status) dedupe: a final callback Twilio retries is counted again."""

from __future__ import annotations

from typing import Any

from .correct import Receiver


class Mutant(Receiver):
    catches = "idempotency"

    def __init__(self) -> None:
        super().__init__()
        self.again: dict[str, int] = {}

    def is_new(self, sid: str, status: str, form: Any) -> bool:
        if (sid, status) in self.seen and status in ("delivered", "failed", "undelivered"):
            bucket = "delivered" if status == "delivered" else "failed"
            self.again[bucket] = self.again.get(bucket, 0) + 1
        return super().is_new(sid, status, form)

    def stats(self) -> dict[str, Any]:
        stats = super().stats()
        for bucket, n in self.again.items():
            stats[bucket] += n
        return stats
