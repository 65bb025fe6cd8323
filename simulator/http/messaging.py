"""The Messaging v1 surface (``messaging.twilio.com/v1``): Services and their PhoneNumbers.

HTTP Basic auth as on the 2010 API; a service belongs to the authenticated account, and
any other account's service is 20404, like one that does not exist. Shapes follow
Twilio's v1 resources (fidelity.md: Messaging Services): ISO 8601 dates, absolute ``url``/``links``,
lists paged with a ``meta`` object. Absolute URLs are built on the simulator's own address,
so the SDK's ``next_page_url`` comes back here: the Host the caller used when it names this
server (docs/security.md's allow-list), else the bound address and port.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, g, jsonify, request

from smsim import websafety
from smsim.simulator import phone
from smsim.simulator.http.context import current_engine
from smsim.simulator.http.params import paging
from smsim.simulator.services import (
    Page,
    PoolNumber,
    Service,
    Services,
    page_of,
    parse_settings,
)

blueprint = Blueprint("messaging", __name__, url_prefix="/v1")

SERVICE_LINKS = (
    ("phone_numbers", "PhoneNumbers"),
    ("short_codes", "ShortCodes"),
    ("alpha_senders", "AlphaSenders"),
    ("channel_senders", "ChannelSenders"),
    ("destination_alpha_senders", "DestinationAlphaSenders"),
    ("us_app_to_person", "Compliance/Usa2p"),
    ("us_app_to_person_usecases", "Compliance/Usa2p/Usecases"),
)


def _services() -> Services:
    return current_engine().services


# A Host header that is only a name or address and a port (no user info, path or spaces).
_PLAIN_HOST = re.compile(r"^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$")


def _base() -> str:
    """``http://host:port/v1``: the caller's Host when it names this server, else the
    bound address (a forged Host must not reach links the SDK follows with its
    credentials)."""
    config = current_engine().config
    host = request.host
    policy = websafety.SafetyPolicy(bound_host=config.host, allowed_hosts=config.allowed_hosts)
    if not (_PLAIN_HOST.match(host) and websafety.names_this_server(host, policy)):
        bound = config.host if config.host not in {"", "0.0.0.0", "::"} else "127.0.0.1"
        bound = f"[{bound}]" if ":" in bound else bound
        host = f"{bound}:{request.environ.get('SERVER_PORT', '')}".rstrip(":")
    return f"{request.scheme}://{host}/v1"


# -- rendering ----------------------------------------------------------------------------


def iso8601(epoch: float) -> str:
    """``2015-07-30T20:12:31Z``: v1 resources use ISO 8601 in UTC."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_service(service: Service) -> dict[str, Any]:
    url = f"{_base()}/Services/{service.sid}"
    body: dict[str, Any] = {
        "sid": service.sid,
        "account_sid": service.account_sid,
        "friendly_name": service["friendly_name"],
        "date_created": iso8601(service.date_created),
        "date_updated": iso8601(service.date_updated),
    }
    for key in (
        "inbound_request_url",
        "inbound_method",
        "fallback_url",
        "fallback_method",
        "status_callback",
        "sticky_sender",
        "mms_converter",
        "smart_encoding",
        "scan_message_content",
        "fallback_to_long_code",
        "area_code_geomatch",
        "synchronous_validation",
        "validity_period",
    ):
        body[key] = service[key]
    body["url"] = url
    body["links"] = {name: f"{url}/{path}" for name, path in SERVICE_LINKS}
    body["usecase"] = service["usecase"]
    body["us_app_to_person_registered"] = False
    body["use_inbound_webhook_on_number"] = service["use_inbound_webhook_on_number"]
    return body


def render_number(member: PoolNumber) -> dict[str, Any]:
    return {
        "sid": member.sid,
        "account_sid": member.account_sid,
        "service_sid": member.service_sid,
        "date_created": iso8601(member.date_created),
        "date_updated": iso8601(member.date_created),
        "phone_number": member.phone_number,
        "country_code": phone.country_of(member.phone_number),
        "capabilities": ["MMS", "SMS", "Voice"],
        "url": f"{_base()}/Services/{member.service_sid}/PhoneNumbers/{member.sid}",
    }


def render_page(key: str, path: str, page: Page[Any], items: list[dict[str, Any]]) -> Any:
    """Twilio's v1 list envelope: the records under ``key`` and a ``meta`` object."""
    url = f"{_base()}{path}"

    def page_url(number: int, token: str | None = None) -> str:
        query = [("PageSize", str(page.page_size)), ("Page", str(number))]
        if token:
            query.append(("PageToken", token))
        return f"{url}?{urlencode(query)}"

    return {
        key: items,
        "meta": {
            "page": page.page,
            "page_size": page.page_size,
            "first_page_url": page_url(0),
            "previous_page_url": page_url(page.page - 1) if page.page > 0 else None,
            "url": page_url(page.page),
            "next_page_url": (
                page_url(page.page + 1, page.next_token) if page.next_token else None
            ),
            "key": key,
        },
    }


def _paging() -> tuple[int, int, str | None]:
    asked = paging(request.args)
    return asked.size, asked.number, asked.token


# -- Services -----------------------------------------------------------------------------


@blueprint.post("/Services")
def create_service() -> tuple[Response, int]:
    settings = parse_settings(request.form, creating=True)
    service = _services().create(g.principal.sid, settings)
    return jsonify(render_service(service)), 201


@blueprint.get("/Services")
def list_services() -> Response:
    size, number, token = _paging()
    page = _services().page(g.principal.sid, size, number, token)
    items = [render_service(s) for s in page.items]
    return jsonify(render_page("services", "/Services", page, items))


@blueprint.get("/Services/<sid>")
def fetch_service(sid: str) -> Response:
    return jsonify(render_service(_services().get(g.principal.sid, sid)))


@blueprint.post("/Services/<sid>")
def update_service(sid: str) -> Response:
    changes = parse_settings(request.form, creating=False)
    return jsonify(render_service(_services().update(g.principal.sid, sid, changes)))


@blueprint.delete("/Services/<sid>")
def delete_service(sid: str) -> tuple[str, int]:
    _services().delete(g.principal.sid, sid)
    return "", 204


# -- Services/{sid}/PhoneNumbers ----------------------------------------------------------


@blueprint.post("/Services/<sid>/PhoneNumbers")
def add_number(sid: str) -> tuple[Response, int]:
    member = _services().add_number(g.principal.sid, sid, request.form.get("PhoneNumberSid"))
    return jsonify(render_number(member)), 201


@blueprint.get("/Services/<sid>/PhoneNumbers")
def list_numbers(sid: str) -> Response:
    size, number, token = _paging()
    members = _services().numbers(g.principal.sid, sid)
    page = page_of(members, lambda m: m.position, size, number, token, sid_of=lambda m: m.sid)
    items = [render_number(m) for m in page.items]
    return jsonify(render_page("phone_numbers", f"/Services/{sid}/PhoneNumbers", page, items))


@blueprint.get("/Services/<sid>/PhoneNumbers/<phone_sid>")
def fetch_number(sid: str, phone_sid: str) -> Response:
    return jsonify(render_number(_services().number(g.principal.sid, sid, phone_sid)))


@blueprint.delete("/Services/<sid>/PhoneNumbers/<phone_sid>")
def remove_number(sid: str, phone_sid: str) -> tuple[str, int]:
    _services().remove_number(g.principal.sid, sid, phone_sid)
    return "", 204
