"""Mutant: parses a JSON body as if it were Twilio's form."""

from __future__ import annotations

from typing import Any

from flask import Request

from .correct import Receiver


class Mutant(Receiver):
    catches = "signature and refusals"

    def refuse(self, req: Request) -> tuple[str, int] | None:
        if req.is_json:
            return None
        return super().refuse(req)

    def on_status(self, form: Any) -> tuple[str, int]:
        if not form:
            return "", 204  # the JSON body is acknowledged and ignored
        return super().on_status(form)
