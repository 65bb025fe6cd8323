"""The client's dashboard, served at ``/`` by ``smsim client serve``: the screens of
CleverTap's documentation (Add SMS provider, Send Test SMS, a campaign's Stats tab with
its Errors tab, the provider's stats) plus a New campaign form and the events.

Pages are Jinja2 templates extending the shared ``smsim_base.html``; each page's script
reads and writes through the client's JSON API (``/api/...``), never the store. Page
assets are served at ``/_assets/dashboard/``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app

from smsim.web import register_assets

blueprint: Blueprint = Blueprint(
    "dashboard",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/_assets/dashboard",
)

NAV: tuple[tuple[str, str], ...] = (
    ("/", "Providers"),
    ("/test-sms", "Send Test SMS"),
    ("/campaigns", "Campaigns"),
    ("/events", "Events"),
)


def inbox_url() -> str:
    """The simulator's inbox beside this client (``smsim up``), or empty when unknown."""
    return (current_app.extensions["smsim_client"].config.inbox_url or "").rstrip("/")


@blueprint.app_context_processor
def _chrome() -> dict[str, Any]:
    inbox = inbox_url()
    nav = NAV + (((inbox + "/", "Inbox ↗"),) if inbox else ())
    return {"product_name": "smsim client", "nav": nav, "home_url": "/", "inbox_url": inbox}


def register_dashboard(app: Flask) -> None:
    """Mount the dashboard on the client's app (with the shared assets)."""
    register_assets(app)
    app.register_blueprint(blueprint)


# The page module adds its routes to ``blueprint`` when imported.
from smsim.client.ui import views  # noqa: E402,F401
