"""Mutant: checks the signature only when the header is present."""

from __future__ import annotations

from flask import Request

from .correct import Receiver


class Mutant(Receiver):
    catches = "signature and refusals"

    def authentic(self, req: Request) -> bool:
        if "X-Twilio-Signature" not in req.headers:
            return True
        return super().authentic(req)
