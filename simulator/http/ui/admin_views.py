"""Inbox pages that drive the simulator: outcomes (catalogue, rules), accounts, clock.

The catalogue is static data shipped with smsim, so the Outcomes page renders it on the
server; everything that is state (rules, accounts, the clock) the pages' scripts read and
write through ``/_smsim/...``, like any other client.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from flask import render_template

from smsim.simulator.http.ui import blueprint
from smsim.simulator.outcome_triggers import OutcomeRow, outcome_rows
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


@dataclass(frozen=True)
class CatalogueGroup:
    """One table of the catalogue: codes of some kinds, and what its "when" column shows."""

    key: str
    title: str
    when: str
    kinds: tuple[str, ...]
    rows: tuple[OutcomeRow, ...] = ()


# Callback codes first: they are what an integration must handle (CleverTap's list).
CATALOGUE_GROUPS: tuple[CatalogueGroup, ...] = (
    CatalogueGroup("callback", "In a status callback (async)", "Ends as", ("async", "both")),
    CatalogueGroup("sync", "Refusing the API call (sync)", "Answer", ("sync",)),
    CatalogueGroup("logged", "On a webhook attempt only", "Where", ("logged",)),
)


@cache
def catalogue_groups() -> tuple[CatalogueGroup, ...]:
    """The catalogue split into its tables (static data: built once)."""
    rows = outcome_rows()
    return tuple(
        CatalogueGroup(g.key, g.title, g.when, g.kinds, tuple(r for r in rows if r.kind in g.kinds))
        for g in CATALOGUE_GROUPS
    )


@blueprint.get("/outcomes")
def outcomes() -> str:
    groups = catalogue_groups()
    return render_template(
        "ui/outcomes.html",
        groups=groups,
        rule_codes=[row for row in groups[0].rows if row.ruleable],
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
