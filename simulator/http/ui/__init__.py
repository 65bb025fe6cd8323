"""The simulator's web inbox, served at ``/`` by ``smsim serve`` (``--no-ui`` turns it off).

Pages are Jinja2 templates extending the shared ``smsim_base.html``; they read and write
through the control surface (``/_smsim/...``) like any script, never the store. The
routes live in two modules that register on :data:`blueprint`: ``messages_views``
(messages, conversations, message detail) and ``admin_views`` (outcomes, accounts, clock).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import NotFound

from smsim.simulator.errors import TwilioError
from smsim.simulator.http.context import current_engine
from smsim.simulator.http.ui.client_links import dashboard_base
from smsim.web import register_assets

blueprint = Blueprint(
    "ui",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/_assets/inbox",
)

NAV: tuple[tuple[str, str], ...] = (
    ("/", "Messages"),
    ("/outcomes", "Outcomes"),
    ("/accounts", "Accounts"),
    ("/clock", "Clock"),
)


@blueprint.app_context_processor
def _chrome() -> dict[str, Any]:
    dashboard = dashboard_base(current_engine().config.dashboard_url)
    nav = NAV + (((dashboard + "/", "Dashboard ↗"),) if dashboard else ())
    return {"product_name": "smsim", "nav": nav, "home_url": "/", "dashboard_url": dashboard}


@blueprint.errorhandler(TwilioError)
def _error_page(exc: TwilioError) -> tuple[str, int]:
    """A page of the inbox that names nothing (``/messages/SMdoesnotexist``) answers an
    HTML page a person can go on from, not the control API's JSON envelope."""
    return render_template("ui/error.html", error=exc), exc.status


# Paths that belong to machines: a 404 there stays Twilio's JSON envelope.
API_PREFIXES = ("/_smsim/", "/2010-04-01/", "/v1/", "/_assets/")


@blueprint.app_errorhandler(NotFound)
def _not_found(exc: NotFound) -> tuple[str | Response, int]:
    """An address nothing serves: a browser asking for a page gets the inbox's 404 page,
    anything else (and every API path) Twilio's JSON envelope, as without the UI."""
    error = TwilioError(20404, 404, f"The requested resource {request.path} was not found")
    wants_page = request.accept_mimetypes.accept_html and (
        request.accept_mimetypes["text/html"] > request.accept_mimetypes["application/json"]
    )
    if wants_page and not request.path.startswith(API_PREFIXES):
        return render_template("ui/error.html", error=error), 404
    return jsonify(error.envelope()), 404


def register_ui(app: Flask) -> None:
    """Mount the inbox on ``app`` (with the shared assets)."""
    register_assets(app)
    app.register_blueprint(blueprint)


# The page modules add their routes to ``blueprint`` when imported.
from smsim.simulator.http.ui import admin_views, messages_views  # noqa: E402,F401
