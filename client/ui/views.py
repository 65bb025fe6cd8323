"""Page routes of the dashboard: each renders a shell; its script fills it from the JSON
API. Views read only configuration (the default callback URL) and, for a 404, whether a
campaign exists (through the Integration, never the store)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template

from smsim.client import ui
from smsim.client.store import NotFoundError

blueprint: Blueprint = ui.blueprint


def _callback_default() -> str:
    return str(current_app.extensions["smsim_client"].config.default_callback_url)


@blueprint.get("/")
def providers_page() -> Any:
    return render_template("dashboard/providers.html", default_callback_url=_callback_default())


@blueprint.get("/test-sms")
def test_sms_page() -> Any:
    return render_template("dashboard/test_sms.html")


@blueprint.get("/campaigns")
def campaigns_page() -> Any:
    return render_template("dashboard/campaigns.html")


@blueprint.get("/campaigns/<rowid:campaign_id>")
def campaign_page(campaign_id: int) -> Any:
    integration = current_app.extensions["smsim_client"]
    try:
        integration.campaign(campaign_id)
    except NotFoundError:
        return not_found_page(f"There is no campaign #{campaign_id}.")
    return render_template("dashboard/stats.html", scope="campaign", object_id=campaign_id)


def not_found_page(what: str) -> tuple[str, int]:
    """The dashboard's 404: what is missing and where to go instead, as a page."""
    return render_template("dashboard/not_found.html", what=what), 404


@blueprint.get("/providers/<rowid:provider_id>/stats")
def provider_stats_page(provider_id: int) -> Any:
    if not current_app.extensions["smsim_client"].provider_known(provider_id):
        return not_found_page(f"There is no provider #{provider_id}.")
    return render_template("dashboard/stats.html", scope="provider", object_id=provider_id)


@blueprint.get("/events")
def events_page() -> Any:
    return render_template("dashboard/events.html")
