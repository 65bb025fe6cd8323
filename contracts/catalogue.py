"""The error-code catalogue: every Twilio error code smsim knows, as data.

The data lives in ``catalogue.json`` next to this module (validated by
``schemas/catalogue.schema.json``); this module only loads it once and answers
questions about it. It is pure: no Flask, no requests.

Decisions recorded in the data, summarised here for readers:

* ``kind`` is ``sync`` (the REST call fails with HTTP 4xx), ``async`` (the message is
  created and later reaches a terminal status carrying ``ErrorCode``), ``both`` or
  ``logged``. 21610 and 21614 are ``both``: Twilio refuses them synchronously when
  sending From a number, yet CleverTap's documentation lists them among the callback error
  codes, so an integration must accept them in a status callback too; they then carry
  status ``failed`` because the message never left Twilio. ``logged`` (11200) is a
  webhook-delivery problem that only appears in Twilio's Debugger / smsim's attempts log.
* ``terminal_status``: errors raised before the message leaves Twilio (queue overflow,
  suspension, price, validity period, pumping protection) give ``failed``; carrier and
  handset errors (30003-30008) give ``undelivered``. 30009 is smsim's choice
  (``undelivered``), explained in its ``status_source``.
* ``message``: for sync codes the REST error message template with ``str.format``
  placeholders (``{to}``, ``{from_}``, ``{resource}``, ``{channel}``); for async codes the
  ``error_message`` the Message resource carries, i.e. Twilio's current title.
* 30007 is "Message filtered" in Twilio's current docs but "Carrier violation" in
  CleverTap's documentation (and in the spec's example); both names are kept
  (``twilio_title`` / ``seed_description``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

Kind = Literal["sync", "async", "both", "logged"]
TerminalStatus = Literal["failed", "undelivered"]

CATALOGUE_FILE = "catalogue.json"


@dataclass(frozen=True, slots=True)
class ErrorEntry:
    """One Twilio error code, as smsim understands it."""

    code: int
    twilio_title: str
    kind: Kind
    http_status: int | None
    message: str
    terminal_status: TerminalStatus | None
    status_source: str
    seed_description: str | None
    seed_details: str | None
    obsolete: bool
    more_info: str
    detail: str | None = None
    notes: str | None = None

    @property
    def is_sync(self) -> bool:
        """True when Twilio refuses the REST call with this code (HTTP 4xx)."""
        return self.kind in ("sync", "both")

    @property
    def is_async(self) -> bool:
        """True when this code can arrive as ``ErrorCode`` in a status callback."""
        return self.kind in ("async", "both")

    @property
    def error_message(self) -> str:
        """The ``error_message`` a Message resource carries for this code (Twilio's title)."""
        return self.message if self.kind == "async" else self.twilio_title


def _entry_from_json(raw: dict[str, Any]) -> ErrorEntry:
    seed = raw.get("seed") or {}
    return ErrorEntry(
        code=int(raw["code"]),
        twilio_title=raw["twilio_title"],
        kind=raw["kind"],
        http_status=raw["http_status"],
        message=raw["message"],
        terminal_status=raw["terminal_status"],
        status_source=raw["status_source"],
        seed_description=seed.get("description"),
        seed_details=seed.get("details"),
        obsolete=bool(raw["obsolete"]),
        more_info=raw["more_info"],
        detail=raw.get("detail"),
        notes=raw.get("notes"),
    )


@cache
def load_raw() -> dict[str, Any]:
    """The catalogue file as parsed JSON (cached; treat as read-only)."""
    text = resources.files(__package__).joinpath(CATALOGUE_FILE).read_text(encoding="utf-8")
    raw: dict[str, Any] = json.loads(text)
    return raw


@cache
def _index() -> dict[int, ErrorEntry]:
    return {entry["code"]: _entry_from_json(entry) for entry in load_raw()["entries"]}


def get(code: int) -> ErrorEntry | None:
    """The entry for ``code``, or None when smsim does not know it."""
    try:
        return _index().get(int(code))
    except (TypeError, ValueError):
        return None


def require(code: int) -> ErrorEntry:
    """The entry for ``code``; raises KeyError naming the code when it is unknown."""
    entry = get(code)
    if entry is None:
        raise KeyError(
            f"error code {code!r} is not in the smsim catalogue "
            f"({len(_index())} codes known; see contracts/{CATALOGUE_FILE})"
        )
    return entry


def all_entries() -> list[ErrorEntry]:
    """Every entry, ordered by code."""
    return sorted(_index().values(), key=lambda e: e.code)


def seed_codes() -> list[int]:
    """The twelve codes of the error table in CleverTap's documentation, in its order."""
    return list(load_raw()["seed_order"])


def async_codes() -> list[int]:
    """Codes that can arrive as ``ErrorCode`` in a status callback (kind async or both)."""
    return [e.code for e in all_entries() if e.is_async]


def describe(code: int) -> str:
    """The text an integration shows in its Errors tab for ``code``.

    CleverTap's description wins (that is what CleverTap shows), then Twilio's title,
    then ``Unknown error code <n>`` so that an unexpected code is still displayed.
    """
    entry = get(code)
    if entry is None:
        return f"Unknown error code {code}"
    return entry.seed_description or entry.twilio_title


def render_message(code: int, **values: str) -> str:
    """Format the REST error message of a sync code, e.g. ``render_message(21211, to="123")``.

    Raises KeyError for an unknown code or a placeholder missing from ``values``;
    extra values are ignored.
    """
    template = require(code).message
    try:
        return template.format(**values)
    except KeyError as exc:
        raise KeyError(f"error {code} message needs a value for {exc.args[0]!r}") from None
