"""Mutant: never checks X-Twilio-Signature: anyone can post a delivery report."""

from __future__ import annotations

from flask import Request

from .correct import Receiver


class Mutant(Receiver):
    catches = "signature and refusals"

    def authentic(self, req: Request) -> bool:
        return True
