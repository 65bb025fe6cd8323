"""Twilio's outbound message statuses as data: which ones reach a StatusCallback, in
what lifecycle order, and which one a message ends in.

The table lives in ``statuses.json`` (sources: docs/fidelity.md, "Status callbacks, as
smsim verify sends them"); this module loads it once and answers questions about it.
Pure: no Flask, no requests.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

Bucket = Literal["delivered", "failed"]
STATUS_FILE = "statuses.json"


@dataclass(frozen=True, slots=True)
class StatusRow:
    """One outbound status and what Twilio does with it."""

    status: str
    callback: bool | Literal["service"]
    follows: str | None
    final: bool
    counts: Bucket | None
    service_only: bool

    def called_back(self, with_service: bool) -> bool:
        """True when Twilio POSTs this status to the StatusCallback."""
        return self.callback is True or (self.callback == "service" and with_service)


@cache
def table() -> dict[str, StatusRow]:
    """Every status of the table, by name, in the file's order."""
    text = resources.files(__package__).joinpath(STATUS_FILE).read_text(encoding="utf-8")
    rows = json.loads(text)["statuses"]
    return {
        row["status"]: StatusRow(
            status=row["status"],
            callback=row["callback"],
            follows=row["follows"],
            final=bool(row["final"]),
            counts=row["counts"],
            service_only=bool(row["service_only"]),
        )
        for row in rows
    }


def row(status: str) -> StatusRow:
    """The row for ``status``; KeyError naming it when Twilio has no such outbound status."""
    try:
        return table()[status]
    except KeyError:
        raise KeyError(f"{status!r} is not an outbound message status") from None


def callback_statuses() -> list[str]:
    """Every status Twilio can POST to a StatusCallback (with or without a service)."""
    return [r.status for r in table().values() if r.callback]


def lifecycle(status: str, *, with_service: bool) -> list[str]:
    """The callbacks Twilio sends, in lifecycle order, for a message that reaches ``status``.

    Walks ``follows`` back to the initial status and keeps the statuses Twilio calls
    back for: ``lifecycle("undelivered", with_service=False)`` is
    ``["sending", "sent", "undelivered"]``; with a service ``queued`` comes first.
    """
    path: list[str] = []
    current: str | None = status
    while current is not None:
        entry = row(current)
        if entry.called_back(with_service):
            path.append(current)
        current = entry.follows
    return path[::-1]


def final_status(arrivals: Iterable[str]) -> str | None:
    """The status a correct integration keeps after callbacks arrive in this order.

    The first final status to arrive wins and nothing replaces it (a late ``sent`` after
    ``failed`` changes nothing); ``read`` after ``delivered`` leaves the message delivered.
    None when no final status arrived.
    """
    for status in arrivals:
        if row(status).final:
            return status
    return None


def bucket(arrivals: Sequence[str]) -> Bucket | None:
    """Which stats count (delivered or failed) a message with these callbacks adds to."""
    final = final_status(arrivals)
    return None if final is None else row(final).counts
