"""Mutant: reads form['From'] on every callback: 500 on a Messaging Service message canceled
before a sender was picked.
"""

from __future__ import annotations

from typing import Any

from .correct import Receiver


class Mutant(Receiver):
    catches = "status handling"

    def on_status(self, form: Any) -> tuple[str, int]:
        sender = form["From"]  # KeyError -> HTTP 500
        assert sender
        return super().on_status(form)
