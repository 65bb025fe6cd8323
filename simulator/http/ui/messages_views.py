"""Inbox pages about messages: the live list (home), a handset's conversation, one message."""

from __future__ import annotations

from flask import render_template

from smsim.simulator.http.ui import blueprint


@blueprint.get("/")
def home() -> str:
    return render_template("ui/messages.html")
