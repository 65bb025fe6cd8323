"""Inbox pages that drive the simulator: outcomes (catalogue, rules), accounts, clock."""

from __future__ import annotations

from flask import render_template

from smsim.simulator.http.ui import blueprint


@blueprint.get("/outcomes")
def outcomes() -> str:
    return render_template("ui/outcomes.html")


@blueprint.get("/accounts")
def accounts() -> str:
    return render_template("ui/accounts.html")


@blueprint.get("/clock")
def clock() -> str:
    return render_template("ui/clock.html")
