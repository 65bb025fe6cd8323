"""Campaign and provider stats, built from the store (see stats_report.schema.json).

Definitions, so that numbers can be checked against what was sent:

* ``targeted``: recipients (messages the integration tried to send);
* ``sent``: messages Twilio accepted (it returned a SID);
* ``delivered``: messages whose final status is ``delivered``;
* ``failed``: refused on send (synchronous Twilio error, or Twilio unreachable) plus
  ``failed``/``undelivered`` status callbacks;
* ``pending``: sent, no final status yet;
* ``errors``: failed messages by Twilio error code (the keys ``smsim verify`` reads),
  ``error_details`` the same with the catalogue's description;
* ``clicked``: unique recipients who clicked a tracked link (None without click tracking),
  ``ctr`` = clicked / delivered;
* ``replied``: incoming messages answering this campaign / provider.
"""

from __future__ import annotations

from typing import Any

from smsim.client.store import Store
from smsim.contracts import catalogue


def describe_error(code: int, twilio_message: str | None) -> tuple[str, bool]:
    """(description, in_catalogue): the catalogue's description, else Twilio's own message."""
    if catalogue.get(code) is not None:
        return catalogue.describe(code), True
    return (twilio_message or catalogue.describe(code)), False


def _errors(
    store: Store, *, campaign_id: int | None = None, provider_id: int | None = None
) -> tuple[dict[str, int], list[dict[str, Any]]]:
    counts: dict[str, int] = {}
    details: list[dict[str, Any]] = []
    scoped = store.error_counts(campaign_id=campaign_id, provider_id=provider_id)
    for code, n, message in scoped:
        description, known = describe_error(code, message)
        counts[str(code)] = n
        entry = catalogue.get(code)
        details.append(
            {
                "code": code,
                "count": n,
                "description": description,
                "in_catalogue": known,
                # Both, labelled in the dashboard as in the inbox: CleverTap's words and
                # Twilio's title for the same code.
                "clevertap_description": entry.seed_description if entry else None,
                "twilio_title": entry.twilio_title if entry else None,
            }
        )
    return counts, details


def _ctr(clicked: int | None, delivered: int) -> float | None:
    if clicked is None or delivered == 0:
        return None
    return round(clicked / delivered, 4)


def event_series(rows: list[tuple[str, str, int]]) -> list[dict[str, Any]]:
    """Group (period, name, count) rows into ``[{"period", "counts": {name: n}}]``."""
    series: dict[str, dict[str, int]] = {}
    for period, name, n in rows:
        series.setdefault(period, {})[name] = n
    return [{"period": p, "counts": c} for p, c in series.items()]


def campaign_stats(store: Store, campaign_id: int, *, bucket: str = "day") -> dict[str, Any]:
    """The Stats tab of one campaign."""
    campaign = store.get_campaign(campaign_id)
    counts = store.message_counts(campaign_id=campaign_id)
    errors, details = _errors(store, campaign_id=campaign_id)
    tracking = bool(campaign["click_tracking"])
    clicked, clicks = store.click_counts(campaign_id=campaign_id) if tracking else (None, None)
    replied, repliers = store.reply_counts(campaign_id=campaign_id)
    return {
        "scope": "campaign",
        "campaign_id": campaign_id,
        "provider_id": campaign["provider_id"],
        **_core(counts),
        "errors": errors,
        "error_details": details,
        "click_tracking": tracking,
        "clicked": clicked,
        "clicks": clicks,
        "ctr": _ctr(clicked, counts["delivered"]),
        "replied": replied,
        "unique_repliers": repliers,
        "bucket": bucket,
        "events_over_time": event_series(
            store.event_counts(bucket=bucket, campaign_id=campaign_id)
        ),
    }


def provider_stats(store: Store, provider_id: int, *, bucket: str = "day") -> dict[str, Any]:
    """The Stats tab under a provider: every message sent through it, test SMS included."""
    store.get_provider(provider_id, include_deleted=True)
    counts = store.message_counts(provider_id=provider_id)
    errors, details = _errors(store, provider_id=provider_id)
    clicked, clicks = store.click_counts(provider_id=provider_id)
    replied, repliers = store.reply_counts(provider_id=provider_id)
    unattributed_replies, _ = store.reply_counts(provider_id=provider_id, unattributed=True)
    by_status = store.unattributed_callbacks(provider_id)
    # Callbacks no message matched still count for the provider (its Stats tab shows what
    # Twilio reported for its account); "unattributed" says how much of each total they are.
    extra_delivered, extra_failed = 0, 0
    extra_errors: dict[int, int] = {}
    for status, code in store.unattributed_outcomes(provider_id):
        if status == "delivered":
            extra_delivered += 1
            continue
        extra_failed += 1
        if code is not None:
            extra_errors[code] = extra_errors.get(code, 0) + 1
    core = _core(counts)
    core["delivered"] += extra_delivered
    core["failed"] += extra_failed
    core["failed_without_code"] += extra_failed - sum(extra_errors.values())
    for error_code, n in extra_errors.items():
        errors[str(error_code)] = errors.get(str(error_code), 0) + n
        row = next((d for d in details if d["code"] == error_code), None)
        if row is None:
            description, known = describe_error(error_code, None)
            details.append(
                {"code": error_code, "count": n, "description": description, "in_catalogue": known}
            )
        else:
            row["count"] += n
    errors = dict(sorted(errors.items(), key=lambda kv: int(kv[0])))
    details.sort(key=lambda d: d["code"])
    return {
        "scope": "provider",
        "provider_id": provider_id,
        **core,
        "errors": errors,
        "error_details": details,
        "click_tracking": clicks > 0,
        "clicked": clicked,
        "clicks": clicks,
        "ctr": _ctr(clicked, counts["delivered"]),
        "replied": replied,
        "unique_repliers": repliers,
        "unattributed": {
            "callbacks": sum(by_status.values()),
            "by_status": by_status,
            "delivered": extra_delivered,
            "failed": extra_failed,
            "errors": {str(c): n for c, n in sorted(extra_errors.items())},
            "replies": unattributed_replies,
        },
        "bucket": bucket,
        "events_over_time": event_series(
            store.event_counts(bucket=bucket, provider_id=provider_id)
        ),
    }


def _core(counts: dict[str, int]) -> dict[str, int]:
    return {
        "targeted": counts["targeted"],
        "sent": counts["sent"],
        "delivered": counts["delivered"],
        "failed": counts["failed"],
        "failed_on_send": counts["failed_on_send"],
        "failed_without_code": counts["failed_without_code"],
        "pending": counts["pending"],
    }
