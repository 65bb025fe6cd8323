"""The Python API of the integration: one :class:`Integration` object.

The HTTP app is a thin shell over this class, and tests or scripts can use it directly.
It wires settings validation, the store, the Twilio sender, the receiver and stats; the
rules live in those modules, the sequencing lives here.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import phonenumbers

from smsim.client import clicks
from smsim.client import stats as stats_mod
from smsim.client.campaign_queue import CampaignQueue, Claimed
from smsim.client.campaign_runner import CampaignRunner, RunnerSettings, outcome_of
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
from smsim.client.store import EVENT_NAMES, STATUS_RANK, TERMINAL_RANK, NotFoundError, Store
from smsim.client.twilio_rest import SendResult, TwilioClient
from smsim.contracts import catalogue
from smsim.contracts.wire import MAX_BODY_CHARS

log = logging.getLogger("smsim.client")

MAX_RECIPIENTS = 100_000
#: invalid recipients named in the error's message (the ``invalid`` list has them all)
SHOWN_INVALID = 10
#: a looked-up message created this many seconds before its claim still counts as the one
#: the claim sent (clocks of the integration and Twilio differ a little)
CLOCK_SKEW = 120.0
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
    if len(message) > MAX_BODY_CHARS:
        return f"must be at most {MAX_BODY_CHARS} characters (Twilio's limit)"
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
            config.twilio_base_url, pool_size=config.senders, timeout=config.request_timeout
        )
        self.receiver = Receiver(self.store, config)
        self.campaign_queue = CampaignQueue(self.store, clock)
        self.runner = self._new_runner()
        self._senders: dict[int, tuple[Provider, int]] = {}
        self._senders_lock = threading.Lock()

    def _new_runner(self) -> CampaignRunner:
        return CampaignRunner(
            self.campaign_queue,
            self._send_claimed,
            self._find_sent,
            RunnerSettings(
                workers=self.config.senders,
                chunk=self.config.senders * 4,
                max_attempts=self.config.send_max_attempts,
                backoff_base=self.config.retry_backoff,
            ),
            self.clock,
        )

    def reset(self) -> None:
        """Forget providers, campaigns, messages and events (for tests): campaigns being
        sent stop after their in-flight requests."""
        self.runner.stop()
        self.store.clear()
        with self._senders_lock:
            self._senders.clear()
        self.runner = self._new_runner()

    def resume_campaigns(self) -> list[int]:
        """Go on sending every campaign a previous process left unfinished."""
        return self.runner.resume()

    def close(self) -> None:
        """Stop the background sender (campaigns stay resumable), release the HTTP pool and
        the database."""
        self.runner.stop()
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

    def provider_known(self, provider_id: int) -> bool:
        """Whether a provider with this id exists or existed (a deleted one keeps its
        stats page)."""
        try:
            self.store.get_provider(provider_id, include_deleted=True)
        except NotFoundError:
            return False
        return True

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
        *,
        retry: bool = True,
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
            retry=retry,
        )
        return message_id, result

    def _campaign_sender(self, campaign_id: int) -> tuple[Provider, int]:
        """The provider (as it was when sending started here) and variant of a campaign."""
        with self._senders_lock:
            found = self._senders.get(campaign_id)
            if found is None:
                row = self.store.get_campaign(campaign_id)
                provider = self.store.get_provider(row["provider_id"], include_deleted=True)
                found = self._senders[campaign_id] = (provider, int(row["variant"]))
            return found

    def _send_claimed(self, campaign_id: int, claim: Claimed) -> SendResult:
        provider, variant = self._campaign_sender(campaign_id)
        _, result = self._send_one(
            provider, claim.message_id, campaign_id, claim.to, claim.body, variant, retry=False
        )
        return result

    def _find_sent(self, campaign_id: int, claim: Claimed) -> str | None:
        provider, _ = self._campaign_sender(campaign_id)
        return self.twilio.find_message(
            account_sid=provider.account_sid,
            auth_token=provider.auth_token,
            to=claim.to,
            body=claim.body,
            since=claim.claimed_at - CLOCK_SKEW,
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
        if not (cc.isascii() and cc.isdigit()) or not 1 <= len(cc) <= 3:
            errors["country_code"] = "must be 1 to 3 digits, e.g. 1 or +91"
        if not (number.isascii() and number.isdigit()) or not 4 <= len(number) <= 14:
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
        self.store.record_send_outcomes([outcome_of(message_id, result)])
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

    def start_campaign(
        self,
        message: Any,
        recipients: Any,
        *,
        provider: int | str | None = None,
        click_tracking: bool = False,
        template_id: str | None = None,
        name: str | None = None,
        variant: int = 0,
        skip_invalid: bool = False,
    ) -> dict[str, Any]:
        """Validate and queue a campaign, start sending it in the background and return it
        with its progress at once. Duplicate recipients get one message.

        An entry that is not an E.164 number refuses the whole campaign, naming every such
        entry (1-based) in the error's ``invalid`` list, unless ``skip_invalid`` is true:
        then the others are sent and the answer's ``skipped`` names those left out."""
        errors: dict[str, str] = {}
        problem = _check_body(message)
        if problem:
            errors["message"] = problem
        unique: list[str] = []
        skipped: list[dict[str, Any]] = []
        details: dict[str, Any] = {}
        if not isinstance(skip_invalid, bool):
            errors["skip_invalid"] = "must be true or false"
        if not isinstance(recipients, list | tuple) or not recipients:
            errors["recipients"] = "must be a non-empty list of E.164 numbers"
        elif len(recipients) > MAX_RECIPIENTS:
            errors["recipients"] = f"at most {MAX_RECIPIENTS} recipients per campaign"
        else:
            unique, skipped = _split_recipients(recipients)
            if skipped and (skip_invalid is not True or not unique):
                errors["recipients"] = _invalid_recipients_message(
                    skipped, len(recipients), bool(unique)
                )
                details["invalid"] = skipped
        if not isinstance(click_tracking, bool):
            errors["click_tracking"] = "must be true or false"
        if name is not None and (not isinstance(name, str) or len(name) > 200):
            errors["name"] = "must be a string of at most 200 characters"
        if not isinstance(variant, int) or isinstance(variant, bool) or not 0 <= variant <= 9999:
            errors["variant"] = "must be an integer from 0 to 9999"
        try:  # the provider's and template's errors come with the others, all at once
            chosen = self._provider_for_send(provider, template_id)
        except ValidationError as exc:
            errors.update(exc.fields)
        if errors:
            raise ValidationError(errors, details=details)
        # One commit: a crash can leave no campaign without its send queue (a campaign
        # with messages but no run would never be sent nor resumed).
        with self.store.transaction():
            campaign_id, message_ids = self.store.create_campaign(
                provider_id=chosen.id,
                body=message,
                recipients=unique,
                name=name,
                click_tracking=click_tracking,
                template_id=template_id or None,
                variant=variant,
            )
            self._bodies(campaign_id, message_ids, message, click_tracking)
            self.campaign_queue.start(campaign_id, message_ids)
        self.runner.start(campaign_id)
        log.info("campaign %s queued for %s recipients", campaign_id, len(unique))
        started = self.campaign(campaign_id)
        started["skipped"] = skipped
        return started

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
        timeout: float = 3600.0,
    ) -> dict[str, Any]:
        """Start a campaign, wait until every recipient is handed to Twilio (or refused),
        and return its stats: the blocking form of :meth:`start_campaign`."""
        started = self.start_campaign(
            message,
            recipients,
            provider=provider,
            click_tracking=click_tracking,
            template_id=template_id,
            name=name,
            variant=variant,
        )
        self.wait_campaign(started["id"], timeout)
        return self.campaign_stats(started["id"])

    def wait_campaign(self, campaign_id: int, timeout: float) -> dict[str, Any]:
        """Wait up to ``timeout`` seconds for this process to stop sending the campaign
        (finished, canceled or stopping) and return the campaign with its progress."""
        self.store.get_campaign(campaign_id)  # NotFoundError for an unknown id
        self.runner.wait(campaign_id, timeout)
        return self.campaign(campaign_id)

    def cancel_campaign(self, campaign_id: int) -> dict[str, Any]:
        """Stop sending a campaign: recipients not yet handed to Twilio are canceled."""
        self.store.get_campaign(campaign_id)
        self.runner.cancel(campaign_id)
        self.runner.wait(campaign_id, self.config.request_timeout + 1)
        return self.campaign(campaign_id)

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

    def message(self, message_id: int) -> dict[str, Any]:
        """One message the integration sent (a test SMS or a campaign's), as it stands:
        what the Send Test SMS result follows until its final status."""
        row = self.store.get_message(message_id)
        if row is None:
            raise NotFoundError(f"message {message_id} not found")
        description = None
        if row.error_code is not None:
            description, _ = stats_mod.describe_error(row.error_code, row.error_message)
        return {
            "message_id": row.id,
            "campaign_id": row.campaign_id,
            "provider_id": row.provider_id,
            "to": row.to_number,
            "from": row.from_number,
            "sid": row.sid,
            "status": row.status,
            "final": STATUS_RANK.get(row.status, 0) >= TERMINAL_RANK,
            "error_code": row.error_code,
            "error_description": description,
            **_code_words(row.error_code),
        }

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
        """A campaign's settings (body, provider, click tracking, template ID) and its
        sending progress."""
        public = _campaign_public(self.store.get_campaign(campaign_id))
        progress = self.campaign_queue.progress(campaign_id)
        public["state"] = progress.pop("state")
        public["progress"] = progress
        return public

    def list_campaigns(self) -> list[dict[str, Any]]:
        """Every campaign, newest first, each with its state."""
        out = []
        for row in self.store.list_campaigns():
            public = _campaign_public(row)
            public["state"] = self.campaign_queue.state(row["id"]) or "finished"
            out.append(public)
        return out

    def campaign_stats(self, campaign_id: int, bucket: str = "day") -> dict[str, Any]:
        """Stats tab of a campaign (see stats.py for the definitions)."""
        return stats_mod.campaign_stats(self.store, campaign_id, bucket=_bucket(bucket))

    def provider_stats(self, ref: int | str | None = None, bucket: str = "day") -> dict[str, Any]:
        """Stats tab under a provider."""
        # An id also reaches a deleted provider: its history stays readable.
        provider_id = ref if isinstance(ref, int) else self.store.find_provider(ref).id
        return stats_mod.provider_stats(self.store, provider_id, bucket=_bucket(bucket))

    def campaign_messages(
        self,
        campaign_id: int,
        *,
        status: str | None = None,
        error_code: int | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> dict[str, Any]:
        """The per-recipient table of a campaign: recipient, SID, status, error code and
        its description, last change (epoch and ISO 8601), filtered by status (one, or
        several comma separated: ``failed,undelivered`` is what the Failed tile counts)
        and code."""
        self.store.get_campaign(campaign_id)
        statuses = [s.strip() for s in status.split(",") if s.strip()] if status else []
        unknown = [s for s in statuses if s not in STATUS_RANK]
        if unknown:
            raise ValidationError(
                {"status": f"{unknown[0]!r}: each must be one of {', '.join(STATUS_RANK)}"}
            )
        if limit is not None and not 1 <= limit <= 10_000:
            raise ValidationError({"limit": "must be between 1 and 10000"})
        total, rows = self.store.campaign_messages(
            campaign_id,
            statuses=statuses,
            error_code=error_code,
            limit=limit,
            offset=max(offset, 0),
        )
        messages = []
        for row in rows:
            code = row["error_code"]
            description = None
            if code is not None:
                description, _ = stats_mod.describe_error(code, row["error_message"])
            elif row["status"] in ("failed", "undelivered"):
                description = row["error_message"]
            messages.append(
                {
                    "message_id": row["id"],
                    "recipient": row["to_number"],
                    "from": row["from_number"],
                    "sid": row["sid"],
                    "status": row["status"],
                    "error_code": code,
                    "error_description": description,
                    **_code_words(code),
                    "updated_at": row["updated_at"],
                    "updated_at_iso": iso_time(row["updated_at"]),
                }
            )
        return {"campaign_id": campaign_id, "total": total, "messages": messages}

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
        events = self.store.events(
            provider_id=provider_id,
            campaign_id=campaign_id,
            name=name,
            since=since,
            until=until,
            limit=limit,
            offset=max(offset, 0),
        )
        for event in events:
            event["ts_iso"] = iso_time(event["ts"])
            code = (event.get("props") or {}).get("error_code")
            if isinstance(code, int):  # the code's words, as the Errors tab and inbox show them
                event["error"] = {"code": code, **_code_words(code)}
        return events

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
    if value not in ("day", "hour", "minute"):
        raise ValidationError({"bucket": "must be day, hour or minute"})
    return value


def _code_words(code: int | None) -> dict[str, str | None]:
    """CleverTap's description and Twilio's title of a code (the inbox shows both)."""
    entry = catalogue.get(code) if code is not None else None
    return {
        "clevertap_description": entry.seed_description if entry else None,
        "twilio_title": entry.twilio_title if entry else None,
    }


def _split_recipients(recipients: Sequence[Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """(unique valid numbers in order, invalid entries as ``{"entry", "value"}``)."""
    seen: set[str] = set()
    unique: list[str] = []
    invalid: list[dict[str, Any]] = []
    for i, to in enumerate(recipients, start=1):
        if not isinstance(to, str) or not E164_RE.match(to):
            invalid.append({"entry": i, "value": to if isinstance(to, str) else repr(to)})
        elif to not in seen:
            seen.add(to)
            unique.append(to)
    return unique, invalid


def _invalid_recipients_message(invalid: list[dict[str, Any]], total: int, any_valid: bool) -> str:
    shown = ", ".join(f"entry {d['entry']} ({d['value']!r})" for d in invalid[:SHOWN_INVALID])
    more = f" and {len(invalid) - SHOWN_INVALID} more" if len(invalid) > SHOWN_INVALID else ""
    what = f"{len(invalid)} of {total} entries are not E.164 numbers: {shown}{more}"
    if not any_valid:
        return what + "; no recipient is left to send to"
    return what + "; fix them, or send to the others with skip_invalid: true"


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
        "created_at_iso": iso_time(row["created_at"]),
        "finished_at": row["finished_at"],
        "finished_at_iso": iso_time(row["finished_at"]),
    }


def iso_time(epoch: float | None) -> str | None:
    """ISO 8601 in UTC (``2024-05-01T12:00:00.123Z``) next to an epoch number in the API."""
    if epoch is None:
        return None
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
