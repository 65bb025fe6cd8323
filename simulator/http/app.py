"""The Flask app factory: ``create_app(config)`` -> a WSGI app over one Engine."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException

from smsim import websafety
from smsim.routing import RowIdConverter, allowed_methods
from smsim.simulator import contract_check
from smsim.simulator.config import SimulatorConfig, load_config
from smsim.simulator.engine import Engine
from smsim.simulator.errors import TwilioError
from smsim.simulator.http.context import bind_engine, change_feed, engine_of, release_waiters
from smsim.simulator.http.engine_start import StartOnFirstRequest
from smsim.simulator.http.fast_create import CreateFastPath
from smsim.simulator.http.params import require_utf8_form
from smsim.simulator.http.twilio_auth import authenticate

log = logging.getLogger("smsim.http")

__all__ = ["change_feed", "create_app", "engine_of", "release_waiters"]

# Twilio's codes for HTTP-level refusals that are not about a resource.
HTTP_CODES = {
    400: 20001,
    401: 20003,
    403: 20403,
    404: 20404,
    405: 20004,
    413: 20001,
    415: 20001,
}

MAX_REQUEST_BYTES = 2 * 1024 * 1024  # a whole request; a message's Body is MAX_BODY_CHARS

# The authenticated machine surfaces (Basic auth on every request): any Host, any caller.
TWILIO_SURFACES = ("/2010-04-01/", "/v1/")


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, but never NaN or Infinity: Python writes them by default, and a
    body holding one is not JSON (``JSON.parse`` throws). A non-finite number that
    reached an answer is a bug to see (a 500 in the log), not a body to send."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("allow_nan", False)
        return super().dumps(obj, **kwargs)


def create_app(config: SimulatorConfig | None = None, engine: Engine | None = None) -> Flask:
    """Build the WSGI app. Pass ``engine`` to share one with an embedding server, which
    then starts and stops it.

    Without ``engine`` the app owns one, built from ``config`` (default: ``SMSIM_*``
    environment variables over the defaults, as ``smsim serve`` reads them), and starts it
    on its first request, so ``waitress-serve --call smsim:create_app`` delivers.
    """
    from smsim.simulator.http import (
        control,
        control_admin,
        control_callbacks,
        control_messages,
        inbound_api,
        inbox_api,
        media_api,
        messaging,
        metrics_api,
        twilio_api,
    )

    app = Flask("smsim.simulator")
    app.json = StrictJSONProvider(app)
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    # werkzeug's default of 1,000 form fields dropped a longer form whole, which then read
    # as "'To' is required"; the body's size is what bounds the work.
    app.config["MAX_FORM_PARTS"] = None
    app.url_map.converters["rowid"] = RowIdConverter
    owned = engine is None
    engine = engine or Engine(config or load_config())
    feed = engine.change_feed()
    bind_engine(app, engine, feed)
    if owned:
        app.before_request(StartOnFirstRequest(engine, feed.close))
    _install_safety(app, engine.config)
    surfaces = (twilio_api, media_api, control, control_admin, messaging, inbound_api, inbox_api)
    for surface in (*surfaces, control_callbacks, control_messages):
        app.register_blueprint(surface.blueprint)
    metrics_api.install(app, engine)
    if engine.config.ui:
        from smsim.simulator.http.ui import register_ui

        register_ui(app)

    if engine_of(app).validate_contracts:

        @app.after_request
        def _check_contract(response: Response) -> Response:
            if response.is_json and request.path.startswith("/2010-04-01/"):
                contract_check.check_response(
                    request.method, request.path, response.status_code, response.get_json()
                )
            return response

    if not owned:  # an owned engine starts on the first request, through Flask's hook
        app.wsgi_app = CreateFastPath(app.wsgi_app, engine, MAX_REQUEST_BYTES)  # type: ignore[method-assign]

    @app.errorhandler(TwilioError)
    def _twilio_error(exc: TwilioError) -> tuple[Response, int]:
        return jsonify(exc.envelope()), exc.status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code = HTTP_CODES.get(status, 20001)
        message = (
            f"The requested resource {request.path} was not found"
            if status == 404
            else (exc.description or exc.name)
        )
        response = jsonify(TwilioError(code, status, message).envelope())
        response.status_code = status
        allow = allowed_methods(exc)
        if allow is not None:
            response.headers["Allow"] = allow
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Response, int]:
        log.exception("unexpected error on %s %s", request.method, request.path)
        body = TwilioError(20500, 500, "An internal server error has occurred").envelope()
        return jsonify(body), 500

    return app


def _install_safety(app: Flask, config: SimulatorConfig) -> None:
    """Everything but the Twilio surfaces is guarded (docs/security.md); forms sent to
    the Twilio surfaces must be UTF-8."""
    policy = websafety.SafetyPolicy(
        bound_host=config.host,
        allowed_hosts=config.allowed_hosts,
        control_token=config.control_token,
        open_prefixes=TWILIO_SURFACES,
        json_prefixes=("/_smsim/",),
    )
    websafety.install(app, policy)

    @app.before_request
    def _utf8_forms_then_credentials() -> None:
        # Twilio's order: credentials before the route and the method (twilio_auth);
        # the create fast path keeps the same order.
        if request.path.startswith(TWILIO_SURFACES):
            require_utf8_form()
            authenticate()
