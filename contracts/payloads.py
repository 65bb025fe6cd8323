"""Builders for the form payloads Twilio POSTs to an integration: status callbacks and
incoming messages. Pure functions returning ordered ``dict[str, str]``; every payload
they build satisfies the ``status_callback`` / ``incoming_message`` schemas.

Field order follows what integrators have captured from Twilio (the order does not
affect the signature, but some hand-written receivers are order-sensitive in logs and
tests): status callbacks use the order of the sample in CleverTap's documentation,
incoming messages the order of a captured US payload.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from smsim.contracts import catalogue, segments

API_VERSION = "2010-04-01"
# The User-Agent of Twilio's webhook requests.
USER_AGENT = "TwilioProxy/1.1"
FAILURE_STATUSES = frozenset({"failed", "undelivered"})
# Statuses whose callbacks carry RawDlrDoneDate (fidelity.md: Lifecycle and callbacks).
DLR_STATUSES = frozenset({"delivered", "undelivered"})
CALLBACK_STATUSES = (
    "queued",
    "sending",
    "sent",
    "failed",
    "delivered",
    "undelivered",
    "read",
    "canceled",
    "partially_delivered",
)
GEO_FIELDS = ("FromCity", "FromState", "FromZip", "FromCountry")
GEO_FIELDS_TO = ("ToCity", "ToState", "ToZip", "ToCountry")


def new_sid(prefix: str) -> str:
    """A fresh Twilio-style SID: two-letter prefix + 32 lowercase hex digits."""
    if len(prefix) != 2 or not prefix.isalpha() or not prefix.isupper():
        raise ValueError(f"a SID prefix is two capital letters, got {prefix!r}")
    return prefix + secrets.token_hex(16)


def raw_dlr_done_date(when: datetime | None = None) -> str:
    """``RawDlrDoneDate`` as Twilio sends it: ``YYMMDDhhmm``, minute precision, no zone."""
    return (when or datetime.now(UTC)).strftime("%y%m%d%H%M")


def count_segments(body: str) -> int:
    """SMS segments for ``body``, as Twilio's calculator counts them (see ``segments``)."""
    return segments.analyze(body).num_segments


def status_callback(
    *,
    status: str,
    account_sid: str,
    message_sid: str,
    from_: str | None,
    to: str,
    messaging_service_sid: str | None = None,
    error_code: int | str | None = None,
    raw_dlr_date: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """A status-callback form, in the order of CleverTap's documented sample payload.

    ``ErrorCode`` is present exactly when ``status`` is failed or undelivered, as Twilio
    documents; a mismatch raises ValueError rather than building a payload Twilio would
    never send. ``raw_dlr_date`` (``YYMMDDhhmm``) is appended for delivered/undelivered.
    ``from_`` is None only for a Messaging Service message canceled before a sender was
    picked: the callback then has no ``From``.
    """
    if status not in CALLBACK_STATUSES:
        raise ValueError(f"status {status!r} is not sent in status callbacks")
    if (status in FAILURE_STATUSES) != (error_code is not None):
        raise ValueError(
            f"ErrorCode goes with failed/undelivered only (status={status!r}, "
            f"error_code={error_code!r})"
        )
    payload: dict[str, str] = {}
    if error_code is not None:
        payload["ErrorCode"] = str(int(error_code))
    payload["SmsSid"] = message_sid
    payload["SmsStatus"] = status
    payload["MessageStatus"] = status
    payload["To"] = to
    if messaging_service_sid:
        payload["MessagingServiceSid"] = messaging_service_sid
    payload["MessageSid"] = message_sid
    payload["AccountSid"] = account_sid
    if from_ is not None:
        payload["From"] = from_
    payload["ApiVersion"] = API_VERSION
    if raw_dlr_date is not None and status in DLR_STATUSES:
        payload["RawDlrDoneDate"] = raw_dlr_date
    payload.update(extra or {})
    return payload


def error_callback(
    code: int,
    *,
    account_sid: str,
    message_sid: str,
    from_: str,
    to: str,
    messaging_service_sid: str | None = None,
    raw_dlr_date: str | None = None,
) -> dict[str, str]:
    """The callback announcing catalogued async error ``code``, with its terminal status."""
    entry = catalogue.require(code)
    if not entry.is_async or entry.terminal_status is None:
        raise ValueError(f"error {code} ({entry.twilio_title}) never arrives in a status callback")
    return status_callback(
        status=entry.terminal_status,
        account_sid=account_sid,
        message_sid=message_sid,
        from_=from_,
        to=to,
        messaging_service_sid=messaging_service_sid,
        error_code=code,
        raw_dlr_date=raw_dlr_date,
    )


def incoming_message(
    *,
    account_sid: str,
    message_sid: str,
    from_: str,
    to: str,
    body: str,
    messaging_service_sid: str | None = None,
    media: Sequence[tuple[str, str]] = (),
    geo: Mapping[str, str] | None = None,
    opt_out_type: str | None = None,
    num_segments: int | None = None,
) -> dict[str, str]:
    """An incoming-message webhook form: a handset ``from_`` texts Twilio number ``to``.

    ``media`` is ``(url, content_type)`` pairs, sent as ``MediaUrl{N}`` /
    ``MediaContentType{N}``. Geo fields (``FromCity`` ... ``ToCountry``) are always present,
    empty unless given, as Twilio sends them. ``num_segments`` defaults to the count for
    ``body`` (a multipart message assembled from more parts may say more).
    """
    geo = geo or {}
    unknown = set(geo) - set(GEO_FIELDS) - set(GEO_FIELDS_TO)
    if unknown:
        raise ValueError(f"unknown geo fields: {sorted(unknown)}")
    g = {name: geo.get(name, "") for name in (*GEO_FIELDS, *GEO_FIELDS_TO)}
    payload = {
        "ToCountry": g["ToCountry"],
        "ToState": g["ToState"],
        "SmsMessageSid": message_sid,
        "NumMedia": str(len(media)),
        "ToCity": g["ToCity"],
        "FromZip": g["FromZip"],
        "SmsSid": message_sid,
        "FromState": g["FromState"],
        "SmsStatus": "received",
        "FromCity": g["FromCity"],
        "Body": body,
        "FromCountry": g["FromCountry"],
        "To": to,
    }
    if messaging_service_sid:
        payload["MessagingServiceSid"] = messaging_service_sid
    payload["ToZip"] = g["ToZip"]
    payload["NumSegments"] = str(count_segments(body) if num_segments is None else num_segments)
    payload["MessageSid"] = message_sid
    payload["AccountSid"] = account_sid
    payload["From"] = from_
    payload["ApiVersion"] = API_VERSION
    for index, (url, content_type) in enumerate(media):
        payload[f"MediaContentType{index}"] = content_type
        payload[f"MediaUrl{index}"] = url
    if opt_out_type is not None:
        payload["OptOutType"] = opt_out_type
    return payload
