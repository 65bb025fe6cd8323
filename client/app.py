"""The integration's HTTP app: JSON endpoints, the callback receiver and click redirects.

Views only parse requests and render results; every rule lives in the Integration and the
modules behind it. Errors are JSON ``{"error": ..., "fields": {...}}`` with 400 (invalid
input), 404 (unknown resource), 409 (conflicts with saved state).
"""

from __future__ import annotations

import logging
import os
from typing import Any, cast
from urllib.parse import quote, urlsplit

from flask import Blueprint, Flask, Response, current_app, jsonify, redirect, request
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from werkzeug.exceptions import HTTPException, UnsupportedMediaType

from smsim import strict_json, websafety
from smsim.client import csv_export
from smsim.client.config import CLICK_PATH_PREFIX, RECEIVER_PATH, ClientConfig
from smsim.client.integration import Integration
from smsim.client.metrics import client_registry
from smsim.client.settings import ValidationError
from smsim.client.store import ConflictError, NotFoundError
from smsim.client.ui import register_dashboard
from smsim.client.ui.views import not_found_page
from smsim.contracts.signature import SIGNATURE_HEADER
from smsim.contracts.wire import FORM_CONTENT_TYPE
from smsim.routing import RowIdConverter, allowed_methods

log = logging.getLogger("smsim.client")
MAX_WAIT = 60.0
MAX_REQUEST_BYTES = 2 * 1024 * 1024  # a whole request; a message's Body is MAX_BODY_CHARS
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def integration() -> Integration:
    """The Integration bound to the running app."""
    return cast(Integration, current_app.extensions["smsim_client"])


def _body() -> dict[str, Any]:
    """The JSON object sent, ``{}`` for no body; a body of any other type is refused."""
    if not request.get_data(cache=True):
        return {}
    if not request.is_json:
        raise UnsupportedMediaType(websafety.JSON_REQUIRED)
    try:
        data = strict_json.loads(request.get_data(cache=True))
    except strict_json.JsonInputError as exc:
        raise ValidationError({exc.where: exc.problem}, str(exc)) from None
    if not isinstance(data, dict):
        raise ValidationError({}, "the request body must be a JSON object")
    return data


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValidationError({name: "must be an integer"}) from None


def _float_arg(name: str) -> float | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    try:
        return float(raw)
    except ValueError:
        raise ValidationError({name: "must be a number (seconds since the epoch)"}) from None


def _ref(ref: str) -> int | str:
    return int(ref) if ref.isascii() and ref.isdigit() else ref


# -- providers ---------------------------------------------------------------------------------

providers_bp = Blueprint("providers", __name__, url_prefix="/api/providers")


@providers_bp.get("")
def list_providers() -> Any:
    return jsonify({"providers": integration().list_providers()})


@providers_bp.post("")
def create_provider() -> Any:
    return jsonify(integration().add_provider(_body())), 201


@providers_bp.get("/<ref>")
def get_provider(ref: str) -> Any:
    return jsonify(integration().get_provider(_ref(ref)))


@providers_bp.route("/<ref>", methods=["PATCH", "PUT"])
def update_provider(ref: str) -> Any:
    return jsonify(integration().update_provider(_ref(ref), _body()))


@providers_bp.delete("/<ref>")
def delete_provider(ref: str) -> Any:
    integration().delete_provider(_ref(ref))
    return "", 204


@providers_bp.post("/<ref>/restore-callback")
def restore_callback(ref: str) -> Any:
    return jsonify(integration().restore_callback_url(_ref(ref)))


@providers_bp.post("/<ref>/test-sms")
def test_sms(ref: str) -> Any:
    data = _body()
    return jsonify(
        integration().send_test_sms(
            _ref(ref),
            country_code=data.get("country_code"),
            mobile_number=data.get("mobile_number"),
            message=data.get("message"),
            template_id=data.get("template_id"),
        )
    )


@providers_bp.get("/<ref>/stats")
def provider_stats(ref: str) -> Any:
    return jsonify(
        integration().provider_stats(_ref(ref), bucket=request.args.get("bucket", "day"))
    )


# -- campaigns ---------------------------------------------------------------------------------

campaigns_bp = Blueprint("campaigns", __name__, url_prefix="/api/campaigns")


@campaigns_bp.post("")
def create_campaign() -> Any:
    data = _body()
    unknown = set(data) - {
        "message",
        "recipients",
        "provider",
        "click_tracking",
        "template_id",
        "name",
        "variant",
        "skip_invalid",
    }
    if unknown:
        raise ValidationError({k: "unknown field" for k in sorted(unknown)})
    result = integration().start_campaign(
        data.get("message"),
        data.get("recipients"),
        provider=data.get("provider"),
        click_tracking=data.get("click_tracking", False),
        template_id=data.get("template_id"),
        name=data.get("name"),
        variant=data.get("variant", 0),
        skip_invalid=data.get("skip_invalid", False),
    )
    response = jsonify(result)
    response.status_code = 202
    response.headers["Location"] = f"/api/campaigns/{result['id']}"
    return response


@campaigns_bp.get("")
def list_campaigns() -> Any:
    return jsonify({"campaigns": integration().list_campaigns()})


@campaigns_bp.get("/<rowid:campaign_id>")
def get_campaign(campaign_id: int) -> Any:
    raw = request.args.get("wait", "")
    try:
        wait = float(raw) if raw else 0.0
    except ValueError:
        raise ValidationError({"wait": "must be a number of seconds"}) from None
    if wait > 0:
        # Long-poll: answer when this process has stopped sending it, or after `wait` s.
        return jsonify(integration().wait_campaign(campaign_id, min(wait, MAX_WAIT)))
    return jsonify(integration().campaign(campaign_id))


def _message_filters() -> dict[str, Any]:
    return {"status": request.args.get("status") or None, "error_code": _int_arg("error_code")}


@campaigns_bp.get("/<rowid:campaign_id>/messages")
def campaign_messages(campaign_id: int) -> Any:
    return jsonify(
        integration().campaign_messages(
            campaign_id,
            **_message_filters(),
            limit=_int_arg("limit") or 100,
            offset=_int_arg("offset") or 0,
        )
    )


@campaigns_bp.get("/<rowid:campaign_id>/messages.csv")
def campaign_messages_csv(campaign_id: int) -> Any:
    """Every recipient of the campaign (filters apply), one CSV row each."""
    table = integration().campaign_messages(campaign_id, **_message_filters(), limit=None)
    return Response(
        csv_export.messages_csv(table["messages"]),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="campaign-{campaign_id}.csv"',
        },
    )


@campaigns_bp.post("/<rowid:campaign_id>/cancel")
def cancel_campaign(campaign_id: int) -> Any:
    return jsonify(integration().cancel_campaign(campaign_id))


@campaigns_bp.get("/<rowid:campaign_id>/stats")
def campaign_stats(campaign_id: int) -> Any:
    return jsonify(
        integration().campaign_stats(campaign_id, bucket=request.args.get("bucket", "day"))
    )


# -- messages ----------------------------------------------------------------------------------

messages_bp = Blueprint("messages", __name__, url_prefix="/api/messages")


@messages_bp.get("/<int:message_id>")
def get_message(message_id: int) -> Any:
    """One message as it stands (status, SID, error): Send Test SMS follows it live."""
    return jsonify(integration().message(message_id))


# -- events ------------------------------------------------------------------------------------

events_bp = Blueprint("events", __name__, url_prefix="/api/events")


@events_bp.get("")
def list_events() -> Any:
    events = integration().events(
        name=request.args.get("name"),
        provider_id=_int_arg("provider_id"),
        campaign_id=_int_arg("campaign_id"),
        since=_float_arg("since"),
        until=_float_arg("until"),
        limit=_int_arg("limit") or 100,
        offset=_int_arg("offset") or 0,
    )
    return jsonify({"events": events})


@events_bp.get("/counts")
def event_counts() -> Any:
    series = integration().event_counts(
        bucket=request.args.get("bucket", "day"),
        name=request.args.get("name"),
        provider_id=_int_arg("provider_id"),
        campaign_id=_int_arg("campaign_id"),
    )
    return jsonify({"bucket": request.args.get("bucket", "day"), "series": series})


# -- receiver and clicks ----------------------------------------------------------------------

public_bp = Blueprint("public", __name__)


def requested_urls(environ: dict[str, Any], public_base: str) -> list[str]:
    """The spellings of the URL this request was made to, for signature checks.

    Twilio signs the URL exactly as it requested it, so the query string is used raw
    (``request.url`` re-quotes it). Behind a proxy the public URL is what Twilio saw,
    so that spelling is tried too.
    """
    raw_uri = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    if raw_uri:
        path_qs = raw_uri
    else:
        path = quote(
            (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1"),
            safe="/:@!$&'()*+,;=-._~",
        )
        query = environ.get("QUERY_STRING", "")
        path_qs = path + ("?" + query if query else "")
    host = environ.get("HTTP_HOST") or (
        f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}"
    )
    urls = [f"{environ.get('wsgi.url_scheme', 'http')}://{host}{path_qs}"]
    if public_base and public_base + path_qs not in urls:
        urls.append(public_base + path_qs)
    return urls


@public_bp.post("/sms/twilio")
def receive() -> Any:
    if request.mimetype != FORM_CONTENT_TYPE:
        # Twilio posts webhooks form-encoded; Flask would also read a multipart body.
        error = f"Twilio webhooks are {FORM_CONTENT_TYPE}"
        return jsonify({"error": error}), 415
    form = {key: request.form.getlist(key) for key in request.form}
    result = integration().handle_callback(
        requested_urls(request.environ, integration().config.base_url),
        request.args.to_dict(),
        form,
        request.headers.get(SIGNATURE_HEADER),
    )
    if result.status_code != 200:
        return jsonify({"error": result.detail or result.outcome}), result.status_code
    if result.kind == "reply":
        return Response(EMPTY_TWIML, status=200, mimetype="text/xml")
    return jsonify({"outcome": result.outcome, **result.extra})


@public_bp.get("/c/<code>")
def click(code: str) -> Any:
    return redirect(integration().click(code), code=302)


@public_bp.post("/api/reset")
def reset() -> Any:
    """Forget providers, campaigns and events: a clean slate between tests."""
    integration().reset()
    return jsonify({"reset": True})


@public_bp.get("/api/health")
def health() -> Any:
    """Up, and which process answered. The client is one process (its store is SQLite),
    so its role is always ``all``, as the simulator's is when it is one process."""
    process = {"pid": os.getpid(), "role": "all"}
    return jsonify({"status": "ok", "process": process})


@public_bp.get("/metrics")
def metrics() -> Any:
    """Prometheus metrics (:mod:`smsim.client.metrics`): the text format, or OpenMetrics
    when the scraper's Accept asks for it."""
    registry = cast(CollectorRegistry, current_app.extensions["smsim_client_metrics"])
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return Response(encode(registry), content_type=content_type)


# -- factory -----------------------------------------------------------------------------------


def _error(
    message: str,
    status: int,
    fields: dict[str, str] | None = None,
    details: dict[str, Any] | None = None,
) -> Any:
    return jsonify({"error": message, "fields": fields or {}, **(details or {})}), status


def _is_page(path: str) -> bool:
    """A dashboard page's path (its 404 is a page too), not the API's or an asset's."""
    return not path.startswith(("/api/", "/_assets/", RECEIVER_PATH, CLICK_PATH_PREFIX))


def safety_policy(config: ClientConfig) -> websafety.SafetyPolicy:
    """Everything is guarded (docs/security.md) but what Twilio and handsets reach: the
    signed callback receiver and the click redirects, under any Host name."""
    public_host = urlsplit(config.base_url).hostname if config.base_url else None
    return websafety.SafetyPolicy(
        bound_host=config.bind_host,
        allowed_hosts=config.allowed_hosts + ((public_host,) if public_host else ()),
        control_token=config.control_token,
        open_prefixes=(RECEIVER_PATH, CLICK_PATH_PREFIX),
        json_prefixes=("/api/",),
    )


def create_app(config: ClientConfig, integration_obj: Integration | None = None) -> Flask:
    """Build the Flask app for one Integration (created from ``config`` unless given)."""
    app = Flask("smsim.client")
    app.url_map.converters["rowid"] = RowIdConverter
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["smsim_client"] = integration_obj or Integration(config)
    app.extensions["smsim_client_metrics"] = client_registry(
        lambda: cast(Integration, app.extensions["smsim_client"])
    )
    for bp in (providers_bp, campaigns_bp, messages_bp, events_bp, public_bp):
        app.register_blueprint(bp)
    register_dashboard(app)
    websafety.install(app, safety_policy(config))
    from smsim.client.fast_receive import ReceiverFastPath  # it imports this module

    app.wsgi_app = ReceiverFastPath(app, MAX_REQUEST_BYTES)  # type: ignore[method-assign]

    @app.errorhandler(ValidationError)
    def _invalid(exc: ValidationError) -> Any:
        return _error(exc.message, 400, exc.fields, exc.details)

    @app.errorhandler(ConflictError)
    def _conflict(exc: ConflictError) -> Any:
        return _error(exc.message, 409, exc.fields)

    @app.errorhandler(NotFoundError)
    def _not_found(exc: NotFoundError) -> Any:
        return _error(str(exc), 404)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        if exc.code == 404 and request.method == "GET" and _is_page(request.path):
            return not_found_page(f"There is no page at {request.path}.")
        response = _error(exc.description or exc.name, exc.code or 400)
        allow = allowed_methods(exc)
        if allow is not None:
            response[0].headers["Allow"] = allow
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:  # a bug: say so without leaking internals
        log.exception("unexpected error")
        return _error("internal error", 500)

    return app
