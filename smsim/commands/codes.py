"""``smsim codes``: the error-code catalogue, for people choosing what to test.

One line per code: whether Twilio refuses the REST call with it (sync), reports it later
in a status callback (async), both, or only logs it; the text CleverTap's documentation
shows for it and Twilio's title; and the magic number that makes the simulator produce
it (``To +15005553005`` -> undelivered 30005). ``--json`` prints the same as data.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from smsim.contracts import catalogue
from smsim.simulator.outcome_triggers import triggers_for


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "codes",
        help="list the Twilio error codes smsim knows and how to trigger each",
        description=(
            "List the error-code catalogue: code, kind (sync: the REST call fails; async: "
            "a status callback carries it; both; logged: webhook attempts only), the "
            "terminal status of a callback, CleverTap's description, Twilio's title, and "
            "the magic number (as To or From of a create-message call) that triggers it."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print a JSON array instead")
    parser.set_defaults(handler=run)


def triggers(code: int) -> list[dict[str, str]]:
    """The create-message fields that make the simulator answer ``code``, e.g.
    ``[{"field": "To", "value": "+15005553005"}]``; empty when no number does. The numbers
    come from :mod:`smsim.simulator.outcome_triggers`, which the inbox's Outcomes page shows."""
    return [
        {"field": "To" if t.kind == "to" else "From", "value": t.value}
        for t in triggers_for(code)
        if t.kind != "request"
    ]


def entries() -> list[dict[str, Any]]:
    """Every catalogued code as plain data, ordered by code."""
    return [
        {
            "code": e.code,
            "kind": e.kind,
            "http_status": e.http_status,
            "terminal_status": e.terminal_status,
            "clevertap_description": e.seed_description,
            "twilio_title": e.twilio_title,
            "triggers": triggers(e.code),
            "more_info": e.more_info,
        }
        for e in catalogue.all_entries()
    ]


def _table(rows: list[dict[str, Any]]) -> str:
    header = ("CODE", "KIND", "STATUS", "TRIGGER", "CLEVERTAP'S DESCRIPTION", "TWILIO'S TITLE")
    lines = []
    for row in rows:
        trigger = ", ".join(f"{t['field']} {t['value']}" for t in row["triggers"]) or "-"
        lines.append(
            (
                str(row["code"]),
                row["kind"],
                row["terminal_status"] or str(row["http_status"] or "-"),
                trigger,
                row["clevertap_description"] or "-",
                row["twilio_title"],
            )
        )
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line[:-1], widths, strict=True))
        + "  "
        + line[-1]
        for line in [header, *lines]
    )


def run(args: argparse.Namespace) -> int:
    rows = entries()
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        print(_table(rows))
        print(
            "\nSTATUS: a callback's terminal status, or the HTTP status of a sync refusal. "
            "Any code can be replayed at an integration with `smsim replay --code N`."
        )
    return 0
