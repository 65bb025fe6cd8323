"""Mutant: records the failed status but drops ErrorCode, so the Errors breakdown stays empty."""

from __future__ import annotations

from typing import Any

from .correct import Receiver


class Mutant(Receiver):
    catches = "error codes"

    def apply(self, sid: str, status: str, form: Any) -> None:
        super().apply(sid, status, {k: v for k, v in form.items() if k != "ErrorCode"})
