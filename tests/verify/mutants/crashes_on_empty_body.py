"""Mutant: looks for a keyword in the first word of the body: 500 on an empty body."""

from __future__ import annotations

from typing import Any

from .correct import Receiver


class Mutant(Receiver):
    catches = "handset replies"

    def count_reply(self, form: Any) -> None:
        first_word = form["Body"].split()[0].upper()  # IndexError on "" -> HTTP 500
        assert first_word is not None
        super().count_reply(form)
