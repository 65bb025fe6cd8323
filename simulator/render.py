"""Twilio's JSON shapes for the simulator's records (fidelity.md: Messages API, spec
``api.v2010.*``).

Rendering only: no rules. Dates are RFC 2822 in GMT; ``num_segments`` and ``num_media``
are strings; ``error_code`` is an integer or null, exactly as Twilio returns them.
"""

from __future__ import annotations

from email.utils import formatdate
from typing import Any
from urllib.parse import urlencode

from smsim.contracts import payloads
from smsim.simulator import phone
from smsim.simulator.accounts import ValidationRequest
from smsim.simulator.feedback import Feedback
from smsim.simulator.media import Media, MediaPage
from smsim.simulator.messages import Page
from smsim.simulator.models import Account, Message, PhoneNumber, VerifiedNumber

# Twilio's 20 Account subresources, in the order of the spec's fetch example
# (https://www.twilio.com/docs/iam/api/account). smsim serves Messages,
# IncomingPhoneNumbers and OutgoingCallerIds; the others answer 404 like any unknown path.
ACCOUNT_SUBRESOURCES: tuple[tuple[str, str], ...] = (
    ("available_phone_numbers", "AvailablePhoneNumbers.json"),
    ("calls", "Calls.json"),
    ("conferences", "Conferences.json"),
    ("incoming_phone_numbers", "IncomingPhoneNumbers.json"),
    ("notifications", "Notifications.json"),
    ("outgoing_caller_ids", "OutgoingCallerIds.json"),
    ("recordings", "Recordings.json"),
    ("transcriptions", "Transcriptions.json"),
    ("addresses", "Addresses.json"),
    ("signing_keys", "SigningKeys.json"),
    ("connect_apps", "ConnectApps.json"),
    ("sip", "SIP.json"),
    ("authorized_connect_apps", "AuthorizedConnectApps.json"),
    ("usage", "Usage.json"),
    ("keys", "Keys.json"),
    ("applications", "Applications.json"),
    ("short_codes", "SMS/ShortCodes.json"),
    ("queues", "Queues.json"),
    ("messages", "Messages.json"),
    ("balance", "Balance.json"),
)


def rfc2822(epoch: float | None) -> str | None:
    """``Thu, 30 Jul 2015 20:12:31 +0000`` (Twilio prints ``+0000``, not ``GMT``)."""
    if epoch is None:
        return None
    return formatdate(epoch, usegmt=False).replace("-0000", "+0000")


def account_base(account_sid: str) -> str:
    return f"/{payloads.API_VERSION}/Accounts/{account_sid}"


def message(m: Message) -> dict[str, Any]:
    """The Message resource."""
    base = f"{account_base(m.account_sid)}/Messages/{m.sid}"
    return {
        "account_sid": m.account_sid,
        "api_version": payloads.API_VERSION,
        "body": m.body,
        "date_created": rfc2822(m.date_created),
        "date_sent": rfc2822(m.date_sent),
        "date_updated": rfc2822(m.date_updated),
        "direction": m.direction,
        "error_code": m.error_code,
        "error_message": m.error_message,
        "from": m.from_number,
        "messaging_service_sid": m.messaging_service_sid,
        "num_media": str(m.num_media),
        "num_segments": str(m.num_segments),
        "price": m.price,
        "price_unit": m.price_unit,
        "sid": m.sid,
        "status": m.status,
        "subresource_uris": {
            "media": f"{base}/Media.json",
            "feedback": f"{base}/Feedback.json",
        },
        "to": m.to_number,
        "uri": f"{base}.json",
    }


def message_page(account_sid: str, page: Page, query: list[tuple[str, str]]) -> dict[str, Any]:
    """A list page with Twilio's paging URIs; ``query`` holds the filters as sent."""
    path = f"{account_base(account_sid)}/Messages.json"
    items = [message(m) for m in page.messages]
    return _paged(path, "messages", items, page.page, page.page_size, page.next_token, query)


def _paged(
    path: str,
    key: str,
    items: list[dict[str, Any]],
    number: int,
    size: int,
    next_token: str | None,
    query: list[tuple[str, str]],
) -> dict[str, Any]:
    """Twilio's 2010 list envelope: ``items`` under ``key``, with the paging URIs (the
    filters in ``query`` kept) and the page's start and end."""

    def uri(page_number: int, token: str | None = None) -> str:
        params = [*query, ("PageSize", str(size)), ("Page", str(page_number))]
        if token:
            params.append(("PageToken", token))
        return f"{path}?{urlencode(params)}"

    start = number * size
    count = len(items)
    return {
        "end": start + count - 1 if count else 0,
        "first_page_uri": uri(0),
        key: items,
        "next_page_uri": uri(number + 1, next_token) if next_token else None,
        "page": number,
        "page_size": size,
        "previous_page_uri": uri(number - 1) if number > 0 else None,
        "start": start if count else 0,
        "uri": uri(number, None),
    }


def media(m: Media) -> dict[str, Any]:
    """The Media resource (spec ``api.v2010.account.message.media``)."""
    return {
        "account_sid": m.account_sid,
        "content_type": m.content_type,
        "date_created": rfc2822(m.date_created),
        "date_updated": rfc2822(m.date_updated),
        "parent_sid": m.parent_sid,
        "sid": m.sid,
        "uri": f"{account_base(m.account_sid)}/Messages/{m.parent_sid}/Media/{m.sid}.json",
    }


def media_page(
    account_sid: str, message_sid: str, page: MediaPage, query: list[tuple[str, str]]
) -> dict[str, Any]:
    """A page of a message's media, paged as Messages are (``media_list``, the spec's
    ``ListMediaResponse``)."""
    path = f"{account_base(account_sid)}/Messages/{message_sid}/Media.json"
    items = [media(m) for m in page.items]
    return _paged(path, "media_list", items, page.page, page.page_size, page.next_token, query)


def feedback(f: Feedback) -> dict[str, Any]:
    """The MessageFeedback resource (spec ``api.v2010.account.message.message_feedback``)."""
    return {
        "account_sid": f.account_sid,
        "date_created": rfc2822(f.date_created),
        "date_updated": rfc2822(f.date_updated),
        "message_sid": f.message_sid,
        "outcome": f.outcome,
        "uri": f"{account_base(f.account_sid)}/Messages/{f.message_sid}/Feedback.json",
    }


def account(a: Account) -> dict[str, Any]:
    base = account_base(a.sid)
    return {
        "auth_token": a.auth_token,
        "date_created": rfc2822(a.date_created),
        "date_updated": rfc2822(a.date_updated),
        "friendly_name": a.friendly_name,
        "owner_account_sid": a.owner_account_sid or a.sid,
        "sid": a.sid,
        "status": a.status,
        "subresource_uris": {key: f"{base}/{path}" for key, path in ACCOUNT_SUBRESOURCES},
        "type": a.type,
        "uri": f"{base}.json",
    }


def list_envelope(key: str, path: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """A one-page list (accounts, numbers): small collections need no paging."""
    return {
        key: items,
        "end": max(len(items) - 1, 0),
        "first_page_uri": f"{path}?PageSize=50&Page=0",
        "next_page_uri": None,
        "page": 0,
        "page_size": 50,
        "previous_page_uri": None,
        "start": 0,
        "uri": f"{path}?PageSize=50&Page=0",
    }


def phone_number(n: PhoneNumber) -> dict[str, Any]:
    """Every field of Twilio's IncomingPhoneNumber. What smsim does not model (voice,
    trunks, addresses, emergency calling, bundles) has the value of a fresh number with
    none of it set up: null SIDs, empty URLs, ``POST`` methods (docs/fidelity.md)."""
    return {
        "account_sid": n.account_sid,
        "address_sid": None,
        "address_requirements": "none",
        "api_version": payloads.API_VERSION,
        "beta": False,
        "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
        "date_created": rfc2822(n.date_created),
        "date_updated": rfc2822(n.date_updated),
        "friendly_name": n.friendly_name,
        "identity_sid": None,
        "phone_number": n.phone_number,
        "origin": "twilio",
        "sid": n.sid,
        "sms_application_sid": None,
        "sms_fallback_method": n.sms_fallback_method,
        "sms_fallback_url": n.sms_fallback_url or "",
        "sms_method": n.sms_method,
        "sms_url": n.sms_url or "",
        "status_callback": n.status_callback or "",
        "status_callback_method": "POST",
        "trunk_sid": None,
        "uri": f"{account_base(n.account_sid)}/IncomingPhoneNumbers/{n.sid}.json",
        "voice_receive_mode": "voice",
        "voice_application_sid": None,
        "voice_caller_id_lookup": False,
        "voice_fallback_method": "POST",
        "voice_fallback_url": "",
        "voice_method": "POST",
        "voice_url": "",
        "emergency_status": "Inactive",
        "emergency_address_sid": None,
        "emergency_address_status": "unregistered",
        "bundle_sid": None,
        "status": "in-use",
        "type": _number_type(n.phone_number),
    }


def _number_type(number: str) -> str:
    """``local`` (the spec's example) for a geographic number, ``toll-free`` for a US/CA
    toll-free one (smsim's spelling: the spec does not list the values)."""
    return "toll-free" if phone.sender_kind(number) == "toll_free" else "local"


def verified_number(v: VerifiedNumber) -> dict[str, Any]:
    return {
        "account_sid": v.account_sid,
        "date_created": rfc2822(v.date_created),
        "date_updated": rfc2822(v.date_updated),
        "friendly_name": v.friendly_name,
        "phone_number": v.phone_number,
        "sid": v.sid,
        "uri": f"{account_base(v.account_sid)}/OutgoingCallerIds/{v.sid}.json",
    }


def validation_request(v: ValidationRequest) -> dict[str, Any]:
    """What ``POST OutgoingCallerIds`` answers (spec ``api.v2010.account.validation_request``)."""
    return {
        "account_sid": v.account_sid,
        "call_sid": v.call_sid,
        "friendly_name": v.friendly_name,
        "phone_number": v.phone_number,
        "validation_code": v.validation_code,
    }
