"""The Flask app factory: ``create_app(config)`` -> a WSGI app over one Engine."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from smsim.simulator import contract_check
from smsim.simulator.config import SimulatorConfig
from smsim.simulator.engine import Engine
from smsim.simulator.errors import TwilioError
from smsim.simulator.http.context import bind_engine, engine_of

log = logging.getLogger("smsim.http")

__all__ = ["create_app", "engine_of"]

# Twilio's codes for HTTP-level refusals that are not about a resource.
HTTP_CODES = {404: 20404, 405: 20004, 413: 20001, 415: 20001, 400: 20001}


def create_app(config: SimulatorConfig | None = None, engine: Engine | None = None) -> Flask:
    """Build the WSGI app. Pass ``engine`` to share one with an embedding server."""
    from smsim.simulator.http import control, inbound_api, messaging, twilio_api

    app = Flask("smsim.simulator")
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    bind_engine(app, engine or Engine(config or SimulatorConfig()))
    for surface in (twilio_api, control, messaging, inbound_api):
        app.register_blueprint(surface.blueprint)

    if engine_of(app).validate_contracts:

        @app.after_request
        def _check_contract(response: Response) -> Response:
            if response.is_json and request.path.startswith("/2010-04-01/"):
                contract_check.check_response(
                    request.method, request.path, response.status_code, response.get_json()
                )
            return response

    @app.errorhandler(TwilioError)
    def _twilio_error(exc: TwilioError) -> tuple[Response, int]:
        return jsonify(exc.envelope()), exc.status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[Response, int]:
        status = exc.code or 500
        code = HTTP_CODES.get(status, 20001)
        message = (
            f"The requested resource {request.path} was not found"
            if status == 404
            else (exc.description or exc.name)
        )
        return jsonify(TwilioError(code, status, message).envelope()), status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Response, int]:
        log.exception("unexpected error on %s %s", request.method, request.path)
        body = TwilioError(20500, 500, "An internal server error has occurred").envelope()
        return jsonify(body), 500

    return app
