"""Mutant: stores the body in a latin-1 column: 500 on Cyrillic and emoji replies."""

from __future__ import annotations

from typing import Any

from .correct import Receiver


class Mutant(Receiver):
    catches = "handset replies"

    def count_reply(self, form: Any) -> None:
        form["Body"].encode("latin-1")  # UnicodeEncodeError -> HTTP 500
        super().count_reply(form)
