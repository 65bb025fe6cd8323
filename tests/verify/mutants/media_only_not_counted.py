"""Mutant: counts a reply only when it has text, so a picture without a caption is not a reply."""

from __future__ import annotations

from typing import Any

from .correct import Receiver


class Mutant(Receiver):
    catches = "handset replies"

    def count_reply(self, form: Any) -> None:
        if form.get("Body", "").strip():
            super().count_reply(form)
