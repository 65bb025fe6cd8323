"""Control routes the inbox's Accounts page needs beyond ``control``: set an owned
number's SmsUrl/SmsMethod, list an account's Messaging Services with their sender pools,
and list its API keys (never their secrets, which are shown once, on creation).

JSON in and out, Twilio's error envelope on bad input, like the rest of ``/_smsim/``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from smsim.simulator import render
from smsim.simulator.account_spec import NUMBER_SETTINGS
from smsim.simulator.errors import TwilioError, not_found
from smsim.simulator.http.context import current_engine
from smsim.simulator.http.messaging import iso8601
from smsim.simulator.http.params import json_object, webhook_url
from smsim.simulator.models import Account, ApiKey
from smsim.simulator.services import PoolNumber, Service

blueprint = Blueprint("control_admin", __name__, url_prefix="/_smsim")


def _account(sid: str) -> Account:
    account = current_engine().accounts.get(sid)
    if account is None:
        raise not_found(request.path)
    return account


def _number_changes(data: dict[str, Any]) -> dict[str, Any]:
    """The changes asked for, checked field by field (the message names the field)."""
    unknown = sorted(set(data) - set(NUMBER_SETTINGS))
    if unknown:
        raise TwilioError(
            20001, 400, f"{unknown[0]}: unknown field (use {', '.join(NUMBER_SETTINGS)})"
        )
    for key, value in data.items():
        if value is not None and not isinstance(value, str):
            raise TwilioError(20001, 400, f"{key}: must be a string")
    changes = dict(data)
    if "sms_url" in changes:
        # 21502: the code Twilio's IncomingPhoneNumbers update answers for a bad SmsUrl.
        changes["sms_url"] = webhook_url("sms_url", (changes["sms_url"] or "").strip(), 21502)
    if "sms_method" in changes and str(changes["sms_method"]).upper() not in {"GET", "POST"}:
        raise TwilioError(20001, 400, "sms_method: must be GET or POST")
    if "friendly_name" in changes and not (changes["friendly_name"] or "").strip():
        raise TwilioError(20001, 400, "friendly_name: cannot be empty")
    return changes


@blueprint.post("/accounts/<sid>/numbers/<number_sid>")
def update_number(sid: str, number_sid: str) -> Response:
    """Change an owned number's ``sms_url`` (empty clears it), ``sms_method``, name."""
    account = _account(sid)
    changes = _number_changes(json_object())
    number = current_engine().accounts.update_number(account.sid, number_sid, changes)
    return jsonify(render.phone_number(number))


def _service_json(service: Service, pool: list[PoolNumber]) -> dict[str, Any]:
    return {
        "sid": service.sid,
        "friendly_name": service["friendly_name"],
        "status_callback": service["status_callback"],
        "inbound_request_url": service["inbound_request_url"],
        "date_created": iso8601(service.date_created),
        "senders": [
            {"sid": n.sid, "phone_number": n.phone_number, "date_added": iso8601(n.date_created)}
            for n in pool
        ],
    }


@blueprint.get("/accounts/<sid>/services")
def list_services(sid: str) -> Response:
    """The account's Messaging Services, each with its sender pool in joining order."""
    account = _account(sid)
    services = current_engine().services
    listed = services.of_account(account.sid)
    pools = [services.numbers(account.sid, s.sid) for s in listed]
    return jsonify({"services": [_service_json(s, p) for s, p in zip(listed, pools, strict=True)]})


def _key_json(key: ApiKey) -> dict[str, Any]:
    return {
        "sid": key.sid,
        "friendly_name": key.friendly_name,
        "date_created": iso8601(key.date_created),
    }


@blueprint.get("/accounts/<sid>/keys")
def list_api_keys(sid: str) -> Response:
    """The account's API keys without secrets: a secret is only shown when created."""
    account = _account(sid)
    return jsonify(
        {"keys": [_key_json(k) for k in current_engine().accounts.api_keys(account.sid)]}
    )
