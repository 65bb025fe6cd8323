"""Inbox pages that drive the simulator: outcomes (catalogue, rules), accounts, clock.

The catalogue is static data shipped with smsim, so the Outcomes page renders it on the
server; everything that is state (rules, accounts, the clock) the pages' scripts read and
write through ``/_smsim/...``, like any other client.
"""

from __future__ import annotations

from flask import render_template

from smsim.simulator.http.ui import blueprint
from smsim.simulator.outcome_triggers import outcome_rows
from smsim.simulator.rules import DELAY_KEYS, OUTCOME_STATUSES

# The rule editor's match fields: (name in the API, label, placeholder).
MATCH_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("to", "To (exactly)", "+14155550100"),
    ("to_prefix", "To starts with", "+44"),
    ("from", "From (exactly)", "+15005550006"),
    ("body_contains", "Body contains", "promo"),
)

# The Clock page's one-click steps: (seconds, label).
QUICK_STEPS: tuple[tuple[int, str], ...] = ((10, "10 s"), (60, "1 min"), (3600, "1 h"))


@blueprint.get("/outcomes")
def outcomes() -> str:
    return render_template(
        "ui/outcomes.html",
        rows=outcome_rows(),
        match_fields=MATCH_FIELDS,
        statuses=OUTCOME_STATUSES,
        delay_steps=DELAY_KEYS,
    )


@blueprint.get("/accounts")
def accounts() -> str:
    return render_template("ui/accounts.html")


@blueprint.get("/clock")
def clock() -> str:
    return render_template("ui/clock.html", quick_steps=QUICK_STEPS)
