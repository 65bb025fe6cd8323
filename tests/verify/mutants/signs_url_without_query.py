"""Mutant: validates the signature over the URL without its query string (request.base_url), so
every genuine callback to ?account=... is refused.
"""

from __future__ import annotations

from flask import Request

from .correct import Receiver


class Mutant(Receiver):
    catches = "status handling"

    def signed_url(self, req: Request) -> str:
        return req.base_url
