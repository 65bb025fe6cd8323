"""JSON shapes the web inbox reads: a message with ISO times and its error's description,
and one message's whole story (timeline, segments, every webhook attempt).

Rendering only: the engine's modules answer every question; nothing here runs SQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from smsim.contracts import catalogue
from smsim.simulator import fragments, render
from smsim.simulator.engine import Engine
from smsim.simulator.models import Message
from smsim.simulator.redelivery import as_curl


def iso(epoch: float | None) -> str | None:
    """ISO 8601 in UTC with milliseconds, e.g. ``2026-11-29T18:40:00.123Z``."""
    if epoch is None:
        return None
    stamp = dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def inbox_message(m: Message) -> dict[str, Any]:
    """Twilio's Message JSON plus what a person reading a list needs."""
    entry = catalogue.get(m.error_code) if m.error_code is not None else None
    return {
        **render.message(m),
        "date_created_iso": iso(m.date_created),
        "date_updated_iso": iso(m.date_updated),
        "date_sent_iso": iso(m.date_sent),
        "error_description": entry.twilio_title if entry else m.error_message,
        # CleverTap's description of the code (its documentation's table), where it has one:
        # the inbox labels it beside Twilio's title, as the dashboard shows it.
        "error_clevertap": entry.seed_description if entry else None,
        "error_details": (entry.seed_details or entry.detail) if entry else None,
    }


def timeline(m: Message) -> list[dict[str, Any]]:
    """Each status the message had, with when it got it (oldest first). The delivery
    engine appends every move to ``extra.status_history`` as ``[from, to, at]``."""
    history = m.status_history
    if history:
        points = [(str(history[0][0]), m.date_created)]
        points += [(str(to), float(at)) for _, to, at in history]
    elif m.date_updated != m.date_created:
        # Stored before moves were recorded: only its creation and its status now are known.
        points = [("created", m.date_created), (m.status, m.date_updated)]
    else:
        points = [(m.status, m.date_created)]
    return [{"status": status, "at": at, "at_iso": iso(at)} for status, at in points]


def retry_policy(url: str | None) -> dict[str, Any] | None:
    """What a webhook URL's fragment (``#rc=3&rp=all``...) asks of retries, or None."""
    if not url:
        return None
    _, overrides = fragments.split(url)
    fragment = url.split("#", 1)[1] if "#" in url else ""
    return {
        "url": url,
        "fragment": fragment,
        "retry_count": overrides.retry_count,
        "retry_on": sorted(overrides.retry_policy),
        "connect_timeout_s": overrides.connect_timeout,
        "read_timeout_s": overrides.read_timeout,
        "total_timeout_s": overrides.total_timeout,
    }


def message_detail(engine: Engine, m: Message) -> dict[str, Any]:
    """Everything the message detail page shows."""
    attempts = engine.attempts.query(message_sid=m.sid)
    webhook_url: str | None
    if m.direction == "inbound":
        number = engine.accounts.number_by_phone(m.to_number)
        webhook_url = engine.inbound.route_for(number).url if number is not None else None
    else:
        webhook_url = engine.delivery.callback_url(m)
    return {
        "message": inbox_message(m),
        "timeline": timeline(m),
        "segments": m.num_segments if m.segments is None else m.segments,
        "encoding": m.encoding,
        "validity_period": m.validity_period,
        "media_urls": m.media_urls,
        "in_reply_to": m.in_reply_to,
        "auto_reply": m.auto_reply,
        "send_at_iso": iso(m.send_at) if m.send_at else None,
        "webhook": retry_policy(webhook_url),
        "callbacks": [{**a, "at_iso": iso(a["at"]), "curl": as_curl(a)} for a in attempts],
        "never_delivered": sum(1 for a in attempts if a["never_delivered"]),
    }
