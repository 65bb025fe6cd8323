"""The callback receiver: ``POST /sms/twilio?account=...&meta=...``.

Order of work, and why:

1. **Verify** ``X-Twilio-Signature`` with a candidate provider's auth token over the exact
   URL Twilio requested. Candidates come from ``meta`` (the provider id we put there) and
   from the payload's ``AccountSid``; nothing is trusted before a token verifies, so a
   forged callback is refused with 403 and records nothing.
2. **Parse** against the contracts (``status_callback``, ``incoming_message``): unknown
   extra fields are ignored, but a payload the schema refuses (no MessageSid, a SID of
   the wrong shape, an unknown status, a non-numeric ErrorCode or one on a delivered
   message, ...) is malformed (400 naming the field, nothing recorded). The geo fields
   of an incoming message, which Twilio always sends but often empty, may be left out.
3. **Attribute** by ``meta`` first (it works even before the message's SID is stored),
   then by MessageSid; anything else is acknowledged and counted under the provider as
   unattributed.
4. **Record** idempotently (unique keys in the store) with a status rank, so a repeat
   counts once and a late, lower status never overwrites a terminal one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from smsim.client.config import ClientConfig
from smsim.client.meta import Meta, parse_meta
from smsim.client.provider_records import ProviderIndex
from smsim.client.settings import Provider
from smsim.client.store import Store
from smsim.contracts import ContractError, validate
from smsim.contracts.signature import SIGNATURE_HEADER, SignatureCheck
from smsim.contracts.wire import MAX_BODY_CHARS

SID_RE = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")
MAX_FIELD = MAX_BODY_CHARS * 4  # anything far longer than a Body is not Twilio
GEO_FIELDS = (
    *("FromCity", "FromState", "FromZip", "FromCountry"),
    *("ToCity", "ToState", "ToZip", "ToCountry"),
)


@dataclass(frozen=True)
class ReceiverResult:
    """How the HTTP layer should answer, and what happened (for logs and QA tools)."""

    status_code: int
    outcome: str
    kind: str = "status"
    provider_id: int | None = None
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def first(form: Mapping[str, Sequence[str]], name: str) -> str | None:
    """The first value of a form field, or None."""
    values = form.get(name)
    return values[0] if values else None


def contract_problem(
    schema: str, form: Mapping[str, Sequence[str]], optional: Sequence[str] = ()
) -> str | None:
    """Why ``form`` breaks contract ``schema`` (``optional`` fields read as empty), or None."""
    payload = {**dict.fromkeys(optional, ""), **{k: v[0] for k, v in form.items() if v}}
    try:
        validate(schema, payload)
    except ContractError as exc:
        return str(exc)
    return None


class Receiver:
    """Verifies, parses, attributes and records Twilio webhooks for the integration."""

    def __init__(self, store: Store, config: ClientConfig) -> None:
        self.store = store
        self.config = config

    def _candidates(
        self, index: ProviderIndex, meta: Meta | None, account_sid: str | None, to: str | None
    ) -> Iterator[Provider]:
        """Providers that may have signed, most likely first; every active one last."""
        tried: set[int] = set()
        if meta is not None and meta.provider_id in index.by_id:
            tried.add(meta.provider_id)
            yield index.by_id[meta.provider_id]
        if account_sid:
            by_account = index.by_account.get(account_sid, ())
            # For replies, the provider that owns the number texted comes first.
            for provider in sorted(
                by_account, key=lambda p: 0 if to and to in p.from_numbers else 1
            ):
                if provider.id not in tried:
                    tried.add(provider.id)
                    yield provider
        # Last resort: any active provider. The token stays the only authority; this
        # covers payloads whose AccountSid names no provider (a subaccount, a QA replay).
        for provider in index.active:
            if provider.id not in tried:
                yield provider

    def verify(
        self,
        urls: Sequence[str],
        form: Mapping[str, Sequence[str]],
        signature: str | None,
        meta: Meta | None,
    ) -> Provider | None:
        """The provider whose auth token signed this request, or None."""
        if not signature:
            return None
        check = SignatureCheck(urls, form, signature)
        index = self.store.provider_index()  # from memory unless a provider changed
        for provider in self._candidates(index, meta, first(form, "AccountSid"), first(form, "To")):
            if check.matches(provider.auth_token):
                return provider
        return None

    def handle(
        self,
        urls: Sequence[str],
        query: Mapping[str, str],
        form: Mapping[str, Sequence[str]],
        signature: str | None,
    ) -> ReceiverResult:
        """Process one webhook request; ``urls`` are the spellings of the requested URL."""
        meta = parse_meta(query.get("meta"))
        provider = self.verify(urls, form, signature, meta)
        if provider is None:
            return ReceiverResult(403, "rejected", detail=f"{SIGNATURE_HEADER} does not verify")
        if any(len(v) > MAX_FIELD for values in form.values() for v in values):
            return ReceiverResult(
                400, "malformed", provider_id=provider.id, detail="field too long"
            )
        repeated = sorted(k for k, values in form.items() if len(set(values)) > 1)
        if repeated:
            return ReceiverResult(
                400,
                "malformed",
                provider_id=provider.id,
                detail=f"{repeated[0]} is given twice with different values",
            )
        sid = first(form, "MessageSid") or first(form, "SmsSid")
        if not sid or not SID_RE.match(sid):
            return ReceiverResult(
                400, "malformed", provider_id=provider.id, detail="MessageSid missing or invalid"
            )
        status = (first(form, "MessageStatus") or "").strip().lower()
        sms_status = (first(form, "SmsStatus") or "").strip().lower()
        if status and status not in ("received", "receiving"):
            return self._status(provider, sid, status, form, query, meta)
        if sms_status == "received" or status == "received" or "Body" in form:
            return self._reply(provider, sid, form)
        return ReceiverResult(
            400, "malformed", provider_id=provider.id, detail="neither MessageStatus nor Body"
        )

    def _attribute(
        self, provider: Provider, sid: str, query: Mapping[str, str], meta: Meta | None
    ) -> int | None:
        if meta is not None and query.get("account") == self.config.account_id:
            msg = self.store.get_message(meta.message_id)
            if (
                msg is not None
                and meta.provider_id == provider.id == msg.provider_id
                and (msg.campaign_id or 0) == meta.campaign_id
                and (msg.sid is None or msg.sid == sid)
            ):
                return msg.id
        msg = self.store.message_by_sid(sid)
        if msg is not None and msg.provider_id == provider.id:
            return msg.id
        return None

    def _status(
        self,
        provider: Provider,
        sid: str,
        status: str,
        form: Mapping[str, Sequence[str]],
        query: Mapping[str, str],
        meta: Meta | None,
    ) -> ReceiverResult:
        problem = contract_problem("status_callback", form)
        if problem:
            return ReceiverResult(400, "malformed", provider_id=provider.id, detail=problem)
        raw_code = (first(form, "ErrorCode") or "").strip()
        if raw_code and not raw_code.isdigit():
            return ReceiverResult(
                400, "malformed", provider_id=provider.id, detail="ErrorCode is not a number"
            )
        error_code = int(raw_code) if raw_code else None
        message_id = self._attribute(provider, sid, query, meta)
        outcome = self.store.record_status_callback(
            provider_id=provider.id,
            message_id=message_id,
            message_sid=sid,
            status=status,
            error_code=error_code,
            error_message=first(form, "ErrorMessage"),
            params={k: v[0] if len(v) == 1 else list(v) for k, v in form.items()},
        )
        return ReceiverResult(
            200,
            outcome,
            kind="status",
            provider_id=provider.id,
            extra={"message_sid": sid, "status": status, "message_id": message_id},
        )

    def _reply(
        self, provider: Provider, sid: str, form: Mapping[str, Sequence[str]]
    ) -> ReceiverResult:
        problem = contract_problem("incoming_message", form, optional=GEO_FIELDS)
        if problem:
            return ReceiverResult(
                400, "malformed", kind="reply", provider_id=provider.id, detail=problem
            )
        handset = first(form, "From")
        number = first(form, "To")
        if not handset or not number:
            return ReceiverResult(
                400, "malformed", kind="reply", provider_id=provider.id, detail="From/To missing"
            )
        answers = self.store.last_message_to(provider.id, handset, number)
        new = self.store.record_reply(
            provider_id=provider.id,
            message_sid=sid,
            from_number=handset,
            to_number=number,
            body=first(form, "Body") or "",
            answers=answers,
        )
        return ReceiverResult(
            200,
            "applied" if new else "duplicate",
            kind="reply",
            provider_id=provider.id,
            extra={
                "message_sid": sid,
                "campaign_id": answers.campaign_id if answers else None,
                "attributed": answers is not None,
            },
        )
