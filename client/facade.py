"""The Python API of the integration: one :class:`Integration` object.

The HTTP app is a thin shell over this class, and tests or scripts can use it directly.
It wires settings validation, the store, the Twilio sender, the receiver and stats; the
rules live in those modules, the sequencing lives here.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import phonenumbers

from smsim.client import clicks
from smsim.client import stats as stats_mod
from smsim.client.config import ClientConfig
from smsim.client.meta import build_meta
from smsim.client.receiver import Receiver, ReceiverResult
from smsim.client.settings import (
    E164_RE,
    Provider,
    ValidationError,
    clean_provider_input,
    validate_template_id,
)
from smsim.client.store import EVENT_NAMES, SendOutcome, Store
from smsim.client.twilio_api import SendResult, TwilioClient
from smsim.contracts import catalogue

log = logging.getLogger("smsim.client")

MAX_BODY = 1600
MAX_RECIPIENTS = 100_000
FLUSH_EVERY = 200
TRIAL_HINT = (
    "This Twilio account is a trial account: it can only send to numbers verified in the "
    "Twilio console. Verify {to} there, or upgrade the account."
)


def status_callback_url(callback_url: str, account_id: str, meta: str) -> str:
    """The provider's callback URL plus ``account`` and ``meta``, before any #fragment
    (Twilio connection overrides live in the fragment and must stay last)."""
    parts = urlsplit(callback_url)
    extra = urlencode({"account": account_id, "meta": meta})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _check_body(message: Any) -> str | None:
    if not isinstance(message, str) or not message.strip():
        return "is required"
    if len(message) > MAX_BODY:
        return f"must be at most {MAX_BODY} characters (Twilio's limit)"
    return None


class Integration:
    """A CleverTap-style Twilio SMS provider integration."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        store: Store | None = None,
        twilio: TwilioClient | None = None,
        clock: Any = time.time,
    ) -> None:
        self.config = config
        self.clock = clock
        self.store = store or Store(":memory:" if config.memory else str(config.db_path), clock)
        self.twilio = twilio or TwilioClient(
            config.twilio_base_url, pool_size=config.send_workers, timeout=config.request_timeout
        )
        self.receiver = Receiver(self.store, config)

    def close(self) -> None:
        """Release the HTTP pool and the database."""
        self.twilio.close()
        self.store.close()

    # -- providers ---------------------------------------------------------------------------

    def _public(self, provider: Provider) -> dict[str, Any]:
        return provider.to_public(self.config.default_callback_url)

    def list_providers(self) -> list[dict[str, Any]]:
        """Every provider, tokens masked."""
        return [self._public(p) for p in self.store.list_providers()]

    def get_provider(self, ref: int | str | None = None) -> dict[str, Any]:
        """One provider by id or nickname (the default one when ``ref`` is None)."""
        return self._public(self.store.find_provider(ref))

    def add_provider(
        self, settings: Mapping[str, Any] | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Validate and save a provider (Settings > Channels > SMS > Add Provider)."""
        data = {**(settings or {}), **fields}
        cleaned = clean_provider_input(data, default_callback_url=self.config.default_callback_url)
        provider = self.store.create_provider(cleaned)
        log.info("provider %s (%s) added", provider.id, provider.nickname)
        return self._public(provider)

    def update_provider(
        self, ref: int | str, changes: Mapping[str, Any] | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Change some fields of a provider; omitted fields keep their value."""
        existing = self.store.find_provider(ref)
        cleaned = clean_provider_input(
            {**(changes or {}), **fields},
            existing=existing,
            default_callback_url=self.config.default_callback_url,
        )
        return self._public(self.store.update_provider(existing.id, cleaned))

    def restore_callback_url(self, ref: int | str) -> dict[str, Any]:
        """Restore: drop any custom callback URL, so callbacks come back to this receiver."""
        existing = self.store.find_provider(ref)
        return self._public(self.store.update_provider(existing.id, {"callback_url": None}))

    def delete_provider(self, ref: int | str) -> None:
        """Remove a provider from lists and sends (its history and stats stay)."""
        self.store.delete_provider(self.store.find_provider(ref).id)

    def _provider_for_send(self, ref: int | str | None, template_id: Any) -> Provider:
        try:
            provider = self.store.find_provider(ref)
        except Exception as exc:  # NotFoundError: a bad reference inside a valid request
            raise ValidationError({"provider": str(exc)}) from exc
        problem = validate_template_id(provider, template_id)
        if problem:
            raise ValidationError({"template_id": problem})
        return provider

    # -- sending -----------------------------------------------------------------------------

    def _send_one(
        self,
        provider: Provider,
        message_id: int,
        campaign_id: int | None,
        to: str,
        body: str,
        variant: int = 0,
    ) -> tuple[int, SendResult]:
        meta = build_meta(campaign_id, message_id, provider.id, variant=variant, now=self.clock())
        callback = status_callback_url(
            provider.effective_callback_url(self.config.default_callback_url),
            self.config.account_id,
            meta.encode(),
        )
        from_ = None
        if not provider.service_sid and provider.from_numbers:
            # Sticky sender: a recipient always hears from the same number.
            index = zlib.crc32(to.encode()) % len(provider.from_numbers)
            from_ = provider.from_numbers[index]
        result = self.twilio.send_message(
            account_sid=provider.account_sid,
            auth_token=provider.auth_token,
            to=to,
            body=body,
            from_=from_,
            messaging_service_sid=provider.service_sid,
            status_callback=callback,
        )
        return message_id, result

    @staticmethod
    def _outcome(message_id: int, result: SendResult) -> SendOutcome:
        return SendOutcome(
            message_id=message_id,
            sid=result.sid,
            status=(result.status or "queued") if result.ok else "failed",
            from_number=result.from_number,
            error_code=result.error_code,
            error_message=result.error_message,
        )

    def send_test_sms(
        self,
        provider: int | str | None = None,
        *,
        country_code: Any,
        mobile_number: Any,
        message: Any,
        template_id: str | None = None,
    ) -> dict[str, Any]:
        """Send Test SMS: the result carries the Twilio SID, or the error code explained."""
        errors: dict[str, str] = {}
        cc = str(country_code if country_code is not None else "").strip().lstrip("+")
        number = "".join(ch for ch in str(mobile_number or "") if ch not in " -().")
        if not cc.isdigit() or not 1 <= len(cc) <= 3:
            errors["country_code"] = "must be 1 to 3 digits, e.g. 1 or +91"
        if not number.isdigit() or not 4 <= len(number) <= 14:
            errors["mobile_number"] = "must be 4 to 14 digits"
        problem = _check_body(message)
        if problem:
            errors["message"] = problem
        to = f"+{cc}{number}"
        if not errors:
            try:
                parsed = phonenumbers.parse(to)
                if not phonenumbers.is_possible_number(parsed):
                    errors["mobile_number"] = f"{to} is not a possible number for +{cc}"
            except phonenumbers.NumberParseException:
                errors["country_code"] = f"+{cc} is not a known country code"
        if errors:
            raise ValidationError(errors)
        chosen = self._provider_for_send(provider, template_id)
        message_id = self.store.create_test_message(chosen.id, to, message)
        _, result = self._send_one(chosen, message_id, None, to, message)
        self.store.record_send_outcomes([self._outcome(message_id, result)])
        out: dict[str, Any] = {
            "ok": result.ok,
            "provider_id": chosen.id,
            "message_id": message_id,
            "to": to,
        }
        if result.ok:
            out.update(sid=result.sid, status=result.status)
            return out
        out.update(error_code=result.error_code, twilio_message=result.error_message)
        if result.error_code is not None:
            out["error_description"] = catalogue.describe(result.error_code)
            out["more_info"] = result.more_info
        else:
            out["error_description"] = result.error_message
        if result.error_code == 21608:
            out["hint"] = TRIAL_HINT.format(to=to)
        return out

    def send_campaign(
        self,
        message: Any,
        recipients: Any,
        *,
        provider: int | str | None = None,
        click_tracking: bool = False,
        template_id: str | None = None,
        name: str | None = None,
        variant: int = 0,
    ) -> dict[str, Any]:
        """Send one message to every recipient and return the campaign's stats.

        Messages go out concurrently (``config.send_workers`` threads, one pooled
        session); results are written in batches. Duplicate recipients get one message.
        """
        errors: dict[str, str] = {}
        problem = _check_body(message)
        if problem:
            errors["message"] = problem
        unique: list[str] = []
        if not isinstance(recipients, list | tuple) or not recipients:
            errors["recipients"] = "must be a non-empty list of E.164 numbers"
        elif len(recipients) > MAX_RECIPIENTS:
            errors["recipients"] = f"at most {MAX_RECIPIENTS} recipients per campaign"
        else:
            seen: set[str] = set()
            for i, to in enumerate(recipients):
                if not isinstance(to, str) or not E164_RE.match(to):
                    errors["recipients"] = f"entry {i} ({to!r}) is not an E.164 number"
                    break
                if to not in seen:
                    seen.add(to)
                    unique.append(to)
        if not isinstance(click_tracking, bool):
            errors["click_tracking"] = "must be true or false"
        if name is not None and (not isinstance(name, str) or len(name) > 200):
            errors["name"] = "must be a string of at most 200 characters"
        if not isinstance(variant, int) or isinstance(variant, bool) or not 0 <= variant <= 9999:
            errors["variant"] = "must be an integer from 0 to 9999"
        if errors:
            raise ValidationError(errors)
        chosen = self._provider_for_send(provider, template_id)
        campaign_id, message_ids = self.store.create_campaign(
            provider_id=chosen.id,
            body=message,
            recipients=unique,
            name=name,
            click_tracking=click_tracking,
            template_id=template_id or None,
            variant=variant,
        )
        bodies = self._bodies(campaign_id, message_ids, message, click_tracking)
        self._send_all(
            chosen, campaign_id, list(zip(message_ids, unique, bodies, strict=True)), variant
        )
        self.store.finish_campaign(campaign_id)
        log.info("campaign %s sent to %s recipients", campaign_id, len(unique))
        return self.campaign_stats(campaign_id)

    def _bodies(
        self, campaign_id: int, message_ids: Sequence[int], body: str, click_tracking: bool
    ) -> list[str]:
        if not click_tracking or not clicks.find_links(body):
            return [body] * len(message_ids)
        bodies: list[str] = []
        links: list[tuple[str, int, int, str]] = []
        for message_id in message_ids:
            tracked, created = clicks.track_links(body, self.config.short_link)
            bodies.append(tracked)
            links.extend((code, campaign_id, message_id, url) for code, url in created)
        self.store.create_links(links)
        self.store.set_message_bodies(zip(message_ids, bodies, strict=True))
        return bodies

    def _send_all(
        self,
        provider: Provider,
        campaign_id: int,
        jobs: Sequence[tuple[int, str, str]],
        variant: int,
    ) -> None:
        pending: list[SendOutcome] = []
        with ThreadPoolExecutor(self.config.send_workers, thread_name_prefix="send") as pool:
            futures = [
                pool.submit(self._send_one, provider, mid, campaign_id, to, body, variant)
                for mid, to, body in jobs
            ]
            for future in as_completed(futures):
                message_id, result = future.result()
                pending.append(self._outcome(message_id, result))
                if len(pending) >= FLUSH_EVERY:
                    self.store.record_send_outcomes(pending)
                    pending = []
        self.store.record_send_outcomes(pending)

    # -- receiving ---------------------------------------------------------------------------

    def handle_callback(
        self,
        urls: Sequence[str],
        query: Mapping[str, str],
        form: Mapping[str, Sequence[str]],
        signature: str | None,
    ) -> ReceiverResult:
        """Process one Twilio webhook (see receiver.Receiver.handle)."""
        result = self.receiver.handle(urls, query, form, signature)
        log.info(
            "callback %s %s provider=%s %s",
            result.kind,
            result.outcome,
            result.provider_id,
            result.detail,
        )
        return result

    def click(self, code: str) -> str:
        """Count a click on a tracked link and return where to redirect."""
        return self.store.record_click(code)

    # -- stats and events --------------------------------------------------------------------

    def campaign(self, campaign_id: int) -> dict[str, Any]:
        """A campaign's settings (body, provider, click tracking, template ID)."""
        return _campaign_public(self.store.get_campaign(campaign_id))

    def list_campaigns(self) -> list[dict[str, Any]]:
        """Every campaign, newest first."""
        return [_campaign_public(c) for c in self.store.list_campaigns()]

    def campaign_stats(self, campaign_id: int, bucket: str = "day") -> dict[str, Any]:
        """Stats tab of a campaign (see stats.py for the definitions)."""
        return stats_mod.campaign_stats(self.store, campaign_id, bucket=_bucket(bucket))

    def provider_stats(self, ref: int | str | None = None, bucket: str = "day") -> dict[str, Any]:
        """Stats tab under a provider."""
        # An id also reaches a deleted provider: its history stays readable.
        provider_id = ref if isinstance(ref, int) else self.store.find_provider(ref).id
        return stats_mod.provider_stats(self.store, provider_id, bucket=_bucket(bucket))

    def events(
        self,
        *,
        name: str | None = None,
        provider_id: int | None = None,
        campaign_id: int | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Recorded events (Notification Sent / Delivered / Failed / Clicked / Replied)."""
        if name is not None and name not in EVENT_NAMES:
            raise ValidationError({"name": f"must be one of {', '.join(EVENT_NAMES)}"})
        if not 1 <= limit <= 10_000:
            raise ValidationError({"limit": "must be between 1 and 10000"})
        return self.store.events(
            provider_id=provider_id,
            campaign_id=campaign_id,
            name=name,
            since=since,
            until=until,
            limit=limit,
            offset=max(offset, 0),
        )

    def event_counts(
        self,
        *,
        bucket: str = "day",
        name: str | None = None,
        provider_id: int | None = None,
        campaign_id: int | None = None,
    ) -> list[dict[str, Any]]:
        """Event counts per day or hour: ``[{"period": ..., "counts": {name: n}}]``."""
        rows = self.store.event_counts(
            bucket=_bucket(bucket), name=name, provider_id=provider_id, campaign_id=campaign_id
        )
        return stats_mod.event_series(rows)


def _bucket(value: str) -> str:
    if value not in ("day", "hour"):
        raise ValidationError({"bucket": "must be day or hour"})
    return value


def _campaign_public(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "provider_id": row["provider_id"],
        "message": row["body"],
        "click_tracking": bool(row["click_tracking"]),
        "template_id": row["template_id"],
        "variant": row["variant"],
        "targeted": row["targeted"],
        "created_at": row["created_at"],
        "finished_at": row["finished_at"],
    }
