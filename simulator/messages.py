"""The Messages resource: create, list, fetch, update (redact, cancel), delete.

Validation follows the order that Twilio's recorded responses imply (fidelity.md: Errors and magic
numbers): To present (21604) -> From or service present (21603) -> To format (21211) -> From
format and ownership (21212, 21606) -> body present (21602/21619) -> length (21617) ->
magic-number refusals, opt-out, trial, queue (21612, 21408, 21610, 21614, 21608, 21611).
Nothing is stored unless every check passes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from smsim.contracts import callback_url, segments
from smsim.contracts.wire import MAX_BODY_CHARS
from smsim.group_commit import GroupCommit
from smsim.simulator import lifecycle, phone
from smsim.simulator.accounts import Accounts
from smsim.simulator.clock import Clock
from smsim.simulator.errors import TwilioError, not_found, twilio_error
from smsim.simulator.ids import is_sid
from smsim.simulator.media_urls import check_media_urls
from smsim.simulator.models import (
    Account,
    Message,
    extra_fields,
    extra_of,
    from_row,
    new_message,
)
from smsim.simulator.store import dumps, loads
from smsim.simulator.store_api import Store
from smsim.sqlwhere import Where

TRIAL_PREFIX = "Sent from your Twilio trial account - "
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 50
# ValidityPeriod: 1 to 36,000 seconds, and the longest is the default (fidelity.md:
# Throughput, queues, validity).
DEFAULT_VALIDITY_PERIOD = 36000
PAGE_TOKEN_PREFIX = "PA"  # Twilio's tokens start so; what follows is opaque
SCHEDULE_MIN_AHEAD = 900  # seconds: Twilio's 15-minute minimum for SendAt
SCHEDULE_MAX_AHEAD = 7 * 86400  # seconds: 7 days (fidelity.md: Messaging Services, UNCERTAIN)

# Twilio's test "magic" numbers (fidelity.md: Errors and magic numbers), exactly as documented.
MAGIC_FROM_ERRORS = {"+15005550001": 21212, "+15005550007": 21606, "+15005550008": 21611}
MAGIC_FROM_OK = "+15005550006"
MAGIC_TO_ERRORS = {
    "+15005550001": 21211,
    "+15005550002": 21612,
    "+15005550003": 21408,
    "+15005550004": 21610,
    "+15005550009": 21614,
}


class DeliveryPlanner(Protocol):
    """What message creation needs from the delivery engine."""

    def admit(self, account: Account, message: Message, request: CreateRequest) -> object:
        """Refuse (raise) or accept ``message`` before it is stored (opt-out, queue...).
        What it returns is handed back to :meth:`start`, in the same transaction."""

    def start(self, message: Message, request: CreateRequest, admission: object) -> None:
        """Schedule the lifecycle of a just-stored message (inside its transaction)."""

    def cancel(self, message: Message) -> None:
        """Cancel a message not yet sent, reporting ``canceled`` by callback."""


class MessageParts(Protocol):
    """The rows that belong to a message and live and die with it (its Media
    resources and its Feedback)."""

    def add_for(self, message: Message) -> None:
        """Store what a just-stored ``message`` brings (inside its transaction)."""

    def delete_of_message(self, message_sid: str) -> None:
        """Delete what belongs to a message being deleted (inside its transaction)."""

    def delete_of_account(self, account_sid: str) -> None:
        """Delete what belongs to every message of an account being removed."""


class ServiceResolver(Protocol):
    """What message creation needs from Messaging Services (sender pools, Copilot)."""

    def check_sender(self, account: Account, service_sid: str, from_number: str | None) -> None:
        """Raise 21701/21703/21704 when the service cannot send (or From is not in it)."""


@dataclass(frozen=True)
class CreateRequest:
    """The create-message form, parsed but not yet validated."""

    to: str | None
    from_: str | None
    messaging_service_sid: str | None
    body: str | None
    media_urls: tuple[str, ...]
    content_sid: str | None
    status_callback: str | None
    validity_period: str | None
    max_price: str | None
    smart_encoded: bool
    schedule_type: str | None
    send_at: str | None
    attempt: str | None

    @classmethod
    def from_form(cls, form: Mapping[str, str], media_urls: Sequence[str]) -> CreateRequest:
        """Read Twilio's form field names (the SDK's encoding: ``true``/``false``)."""
        return cls(
            to=form.get("To"),
            from_=form.get("From"),
            messaging_service_sid=form.get("MessagingServiceSid") or None,
            body=form.get("Body"),
            media_urls=tuple(u for u in media_urls if u),
            content_sid=form.get("ContentSid") or None,
            status_callback=form.get("StatusCallback") or None,
            validity_period=form.get("ValidityPeriod") or None,
            max_price=form.get("MaxPrice") or None,
            smart_encoded=str(form.get("SmartEncoded", "")).lower() == "true",
            schedule_type=form.get("ScheduleType") or None,
            send_at=form.get("SendAt") or None,
            attempt=form.get("Attempt") or None,
        )


@dataclass(frozen=True)
class Page:
    """One page of a list, with the paging facts the renderer needs."""

    messages: list[Message]
    page: int
    page_size: int
    next_token: str | None


@dataclass(frozen=True)
class ListFilter:
    to: str | None = None
    from_: str | None = None
    date_sent_before: float | None = None  # inclusive upper bound (epoch seconds)
    date_sent_after: float | None = None  # inclusive lower bound


INBOX_MAX_LIMIT = 10_000


@dataclass(frozen=True)
class InboxQuery:
    """Messages across accounts, as the inbox and ``GET /_smsim/messages`` filter them.

    Paging is by keyset on the insertion id (the newest-first sort key): ``before`` asks
    for the page just older than that id, ``after`` for the page just newer; never an
    OFFSET, so a page deep in a million rows costs what the first one does.
    """

    account_sid: str | None = None
    to: str | None = None
    from_: str | None = None
    number: str | None = None  # to or from
    status: str | None = None
    error_code: int | None = None
    direction: str | None = None
    sid: str | None = None
    text: str | None = None  # a substring of the body, case-insensitive for ASCII
    lost_callbacks: bool = False  # only messages with a callback never delivered
    before: int | None = None
    after: int | None = None
    limit: int = DEFAULT_PAGE_SIZE


@dataclass(frozen=True)
class InboxPage:
    """Newest first, with the cursors of the neighbouring pages (None at either end)."""

    messages: list[Message]
    older: int | None
    newer: int | None


class Messages:
    """Rules of the Messages resource, over the store."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        accounts: Accounts,
        planner: DeliveryPlanner,
        services: ServiceResolver,
        parts: MessageParts,
    ) -> None:
        self.store = store
        self.clock = clock
        self.accounts = accounts
        self.planner = planner
        self.services = services
        self.parts = parts
        # Concurrent creates share commits (see create): under load one commit costs more
        # than the rest of a create's statements together.
        self._creates = GroupCommit(store)

    # -- create ---------------------------------------------------------------------------

    def create(self, account: Account, request: CreateRequest) -> Message:
        """Validate ``request`` as Twilio does and store the new outbound message."""
        if not request.to:
            raise twilio_error(21604)
        if not request.from_ and not request.messaging_service_sid:
            raise twilio_error(21603)
        to = phone.normalize(request.to)
        if to is None or MAGIC_TO_ERRORS.get(to) == 21211:
            raise twilio_error(21211, to=request.to)
        from_number = self._check_from(account, request)
        if request.messaging_service_sid:
            self._check_service(account, request, from_number)
        send_at = self._check_schedule(request)
        body = self._check_body(account, request)
        check_media_urls(request.media_urls)
        validity = _validity_period(request.validity_period)
        magic = MAGIC_TO_ERRORS.get(to)
        if magic is not None:
            channel = "MMS" if request.media_urls else "SMS"
            raise twilio_error(magic, to=to, from_=from_number or "", channel=channel)
        if account.status != "active":
            raise TwilioError(
                20005, 403, f"Account {account.sid} is not active; messages cannot be sent."
            )
        if account.is_trial and not self._trial_may_send(account, to):
            raise twilio_error(21608, to=to)
        info = segments.analyze(body, request.smart_encoded)
        now = self.clock.now()
        via_service = request.messaging_service_sid is not None and request.from_ is None
        message = new_message(
            account_sid=account.sid,
            direction="outbound-api",
            from_number=None if via_service else from_number,
            to_number=to,
            body=info.body,
            status=_initial_status(request, send_at),
            # Twilio reports "0" segments until a service has picked a sender (fidelity.md:
            # Messaging Services).
            num_segments=0 if via_service else info.num_segments,
            now=now,
            media_urls=request.media_urls,
            messaging_service_sid=request.messaging_service_sid,
            status_callback=request.status_callback,
            segments=info.num_segments,
            encoding=info.encoding,
            validity_period=validity,
            send_at=send_at,
        )
        refused: list[TwilioError] = []

        def store_it() -> None:
            # The opt-out check reads in the transaction that stores the message, so a
            # STOP committed before it is seen; its refusal is answered after the commit
            # instead of raised here, where it would roll back the creates batched with it.
            try:
                admission = self.planner.admit(account, message, request)
            except TwilioError as exc:
                refused[:] = [exc]
                return
            refused.clear()
            self._insert(message)
            self.planner.start(message, request, admission)

        # Batched with the creates of other threads into one transaction (GroupCommit):
        # the commit was the dearest statement of a create (64 of 121 us of SQL, one
        # thread, an SQLite file), and under load a create queued behind others for the
        # store's lock at every one of its statements. `python bench/api.py`-style load on
        # one `smsim serve` (2 cores, 3 alternating runs each): creates alone 1,036-1,132
        # -> 1,295-1,371 req/s (0.90-0.97 -> 0.73-0.77 ms CPU each); with their lifecycle
        # steps 718-857 -> 826-922 req/s. A write that fails (the sender's queue is full:
        # 21611) makes the batch run again one create per transaction, so only its caller
        # gets the error.
        self._creates.write(store_it)
        if refused:
            raise refused[0]
        return message

    def _check_from(self, account: Account, request: CreateRequest) -> str | None:
        if not request.from_:
            return None
        raw = request.from_
        magic = MAGIC_FROM_ERRORS.get(raw)
        if magic == 21212:
            raise twilio_error(21212, from_=raw)
        if magic == 21606:
            raise twilio_error(21606, from_=raw)
        kind = phone.sender_kind(raw)
        if kind is None:
            raise twilio_error(21212, from_=raw)
        if kind == "alphanumeric" or kind == "short_code":
            sender = raw.strip()
        else:
            normalized = phone.normalize(raw)
            if normalized is None:
                raise twilio_error(21212, from_=raw)
            sender = normalized
        if magic == 21611:
            raise twilio_error(21611)
        if sender == MAGIC_FROM_OK or kind == "alphanumeric":
            return sender
        if not self.accounts.owns(account.sid, sender):
            raise twilio_error(21606, from_=sender)
        return sender

    def _check_service(
        self, account: Account, request: CreateRequest, from_number: str | None
    ) -> None:
        sid = request.messaging_service_sid or ""
        if not is_sid(sid, "MG"):
            raise twilio_error(21701, service=sid)
        self.services.check_sender(account, sid, from_number)

    def _check_schedule(self, request: CreateRequest) -> float | None:
        """``ScheduleType=fixed`` with ``SendAt`` (fidelity.md: Messages API; Errors and magic
        numbers; Messaging Services): the epoch second to send at, or None for a send now. 35118
        without a Messaging Service, 35111 without SendAt, 35114 for a SendAt that does not parse as
        ISO 8601 or is not between 15 minutes (Twilio's minimum) and 7 days (fidelity.md: Messaging
        Services, UNCERTAIN) ahead. smsim's choices: SendAt without ScheduleType is ignored; another
        ScheduleType is 20001."""
        if request.schedule_type is None:
            return None
        if request.schedule_type != "fixed":
            raise TwilioError(20001, 400, f"Invalid ScheduleType {request.schedule_type}")
        if not request.messaging_service_sid:
            raise twilio_error(35118)
        if not request.send_at:
            raise twilio_error(35111)
        send_at = _parse_send_at(request.send_at)
        ahead = -1.0 if send_at is None else send_at - self.clock.now()
        if not SCHEDULE_MIN_AHEAD <= ahead <= SCHEDULE_MAX_AHEAD:
            raise twilio_error(35114)
        return send_at

    def _check_body(self, account: Account, request: CreateRequest) -> str:
        has_media = bool(request.media_urls) or bool(request.content_sid)
        if request.body is None and not has_media:
            # No Body field at all: today's code for "nothing to send" (fidelity.md: Errors and
            # magic numbers).
            raise twilio_error(21619)
        if request.body == "" and not has_media:
            # An empty Body: the code the recorded responses show (fidelity.md: Errors and magic
            # numbers).
            raise twilio_error(21602)
        body = request.body or ""
        if request.smart_encoded:
            body = segments.smart_encode(body)
        if len(body) > MAX_BODY_CHARS:
            raise twilio_error(21617)
        if account.is_trial and body:
            # The trial prefix is part of the body Twilio stores and sends (fidelity.md: Accounts).
            # smsim's choice: the MAX_BODY_CHARS limit applies to what the caller sent, the
            # segments are counted on what the handset receives (prefix included).
            body = TRIAL_PREFIX + body
        return body

    def _trial_may_send(self, account: Account, to: str) -> bool:
        return self.accounts.is_verified(account.sid, to) or self.accounts.owns(account.sid, to)

    def _insert(self, message: Message) -> None:
        self.store.execute(
            "INSERT INTO messages (sid, account_sid, direction, from_number, to_number, body,"
            " status, error_code, error_message, num_segments, num_media, price, price_unit,"
            " messaging_service_sid, status_callback, date_created, date_updated, date_sent,"
            " extra) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                message.sid,
                message.account_sid,
                message.direction,
                message.from_number,
                message.to_number,
                message.body,
                message.status,
                message.error_code,
                message.error_message,
                message.num_segments,
                message.num_media,
                message.price,
                message.price_unit,
                message.messaging_service_sid,
                message.status_callback,
                message.date_created,
                message.date_updated,
                message.date_sent,
                dumps(extra_of(message)),
            ),
        )
        if message.media_urls:  # a text-only create costs no second statement
            self.parts.add_for(message)

    def insert(self, message: Message) -> None:
        """Store a message built elsewhere (inbound, TwiML replies)."""
        self._insert(message)

    # -- read -----------------------------------------------------------------------------

    def get(self, account_sid: str, sid: str) -> Message:
        """The message ``sid`` of ``account_sid`` or 20404."""
        row = None
        if is_sid(sid, "SM") or is_sid(sid, "MM"):
            row = self.store.one(
                "SELECT * FROM messages WHERE sid = ? AND account_sid = ?", (sid, account_sid)
            )
        if row is None:
            raise not_found(f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json")
        return row_to_message(row)

    def find(self, sid: str) -> Message | None:
        row = self.store.one("SELECT * FROM messages WHERE sid = ?", (sid,))
        return None if row is None else row_to_message(row)

    def with_status(self, account_sid: str, statuses: Sequence[str]) -> list[Message]:
        """The messages of ``account_sid`` in any of ``statuses``, oldest first."""
        marks = ",".join("?" * len(statuses))
        rows = self.store.all(
            f"SELECT * FROM messages WHERE account_sid = ? AND status IN ({marks}) ORDER BY id",
            [account_sid, *statuses],
        )
        return [row_to_message(r) for r in rows]

    def remove_of_account(self, account_sid: str) -> list[str]:
        """Delete every message of ``account_sid`` whatever its status (the account is
        being removed); returns their SIDs, for the caller to drop their pending steps."""
        rows = self.store.all("SELECT sid FROM messages WHERE account_sid = ?", (account_sid,))
        sids = [str(r["sid"]) for r in rows]
        self.store.execute("DELETE FROM messages WHERE account_sid = ?", (account_sid,))
        self.parts.delete_of_account(account_sid)  # their media and feedback, as on delete()
        return sids

    def replies_to(self, inbound_sid: str) -> list[Message]:
        """Messages sent in reply to ``inbound_sid`` (auto-reply and TwiML), oldest first."""
        rows = self.store.all(_REPLIES_TO[self.store.dialect], (inbound_sid,))
        return [row_to_message(r) for r in rows]

    def mark_reply(self, message: Message, inbound_sid: str, service_sid: str | None) -> Message:
        """Make a just-created send an ``outbound-reply`` to ``inbound_sid``."""
        message.direction = "outbound-reply"
        message.messaging_service_sid = service_sid
        message.in_reply_to = inbound_sid
        self.store.execute(
            "UPDATE messages SET direction = ?, messaging_service_sid = ?, extra = ? WHERE sid = ?",
            (
                message.direction,
                message.messaging_service_sid,
                dumps(extra_of(message)),
                message.sid,
            ),
        )
        return message

    def page(
        self,
        account_sid: str,
        filters: ListFilter,
        page_size: int,
        page: int,
        page_token: str | None,
    ) -> Page:
        """One page, newest first.

        ``PageToken`` is a position, not a row: ``PA`` + the sort key (the storage order)
        of the last message shown, and the next page is everything older. Deleting that
        message, or any other, while paging therefore loses nothing and never turns the
        token invalid (the SDK's ``for m in stream(): m.delete()`` loop relies on it).
        """
        where = (
            Where()
            .equals("account_sid", account_sid)
            .equals("to_number", filters.to)
            .equals("from_number", filters.from_)
            .compare("date_sent", "<=", filters.date_sent_before)
            .compare("date_sent", ">=", filters.date_sent_after)
        )
        offset = 0
        if page_token:
            where.add("id < ?", self._token_position(account_sid, page_token))
        else:
            offset = page * page_size
        rows = self.store.all(
            f"SELECT * FROM messages{where.sql} ORDER BY id DESC LIMIT ? OFFSET ?",
            [*where.params, page_size + 1, offset],
        )
        shown = rows[:page_size]
        messages = [row_to_message(r) for r in shown]
        more = len(rows) > page_size
        next_token = page_token_for(shown[-1]["id"]) if more and shown else None
        return Page(messages, page, page_size, next_token)

    def inbox(self, query: InboxQuery) -> InboxPage:
        """One keyset page of messages across accounts, newest first (see InboxQuery)."""
        limit = max(1, min(query.limit, INBOX_MAX_LIMIT))
        filters = _inbox_filters(query, self.store.dialect)
        ascending = query.after is not None and query.before is None
        page = filters.merged(
            Where().compare("id", "<", query.before).compare("id", ">", query.after)
        )
        rows = self._inbox_rows(query.number, page, ascending, limit)
        more = len(rows) > limit
        rows = rows[:limit]
        if ascending:
            rows.reverse()
        messages = [row_to_message(r) for r in rows]
        if not rows:
            return InboxPage(messages, None, None)
        newest, oldest = int(rows[0]["id"]), int(rows[-1]["id"])
        older: int | None
        newer: int | None
        if ascending:
            newer = newest if more else None
            older = oldest if self._inbox_any(query.number, filters, "id <", oldest) else None
        else:
            older = oldest if more else None
            newer = None
            if query.before is not None or query.after is not None:
                exists = self._inbox_any(query.number, filters, "id >", newest)
                newer = newest if exists else None
        return InboxPage(messages, older, newer)

    def _inbox_rows(
        self, number: str | None, where: Where, ascending: bool, limit: int
    ) -> list[Any]:
        order = "ASC" if ascending else "DESC"
        if not number:
            rows: list[Any] = self.store.all(
                f"SELECT * FROM messages{where.sql} ORDER BY id {order} LIMIT ?",
                [*where.params, limit + 1],
            )
            return rows
        # To or From: two index range scans, each stopped at the page size, then merged.
        # A plain OR would make SQLite collect every match of a busy number and sort it.
        parts, values = [], []
        for column in ("to_number", "from_number"):
            side = Where().equals(column, number).merged(where)
            parts.append(
                f"SELECT * FROM (SELECT * FROM messages{side.sql} ORDER BY id {order} LIMIT ?)"
                f" AS {column}_side"
            )
            values += [*side.params, limit + 1]
        merged: list[Any] = self.store.all(
            " UNION ".join(parts) + f" ORDER BY id {order} LIMIT ?", [*values, limit + 1]
        )
        return merged

    def _inbox_any(self, number: str | None, filters: Where, bound: str, value: int) -> bool:
        """True when a message matching the filters lies beyond ``bound`` (``"id <"`` or
        ``"id >"``) ``value``."""
        column, operator = bound.split()
        beyond = Where().compare(column, operator, value)
        sides = (
            [Where()]
            if not number
            else [Where().equals(c, number) for c in ("to_number", "from_number")]
        )
        for side in sides:
            where = side.merged(filters, beyond)
            if self.store.one(f"SELECT 1 FROM messages{where.sql} LIMIT 1", where.params):
                return True
        return False

    def _token_position(self, account_sid: str, token: str) -> int:
        """The sort key a ``PageToken`` stands for, or 20001 (400) for a malformed one.

        ``PA`` + a SID (the form earlier smsim versions issued) is still read while that
        message exists, so a link handed out by an older server keeps working.
        """
        named = parse_page_token(token)
        if isinstance(named, int):
            return named
        if is_sid(named, "SM") or is_sid(named, "MM"):
            position = self.store.scalar(
                "SELECT id FROM messages WHERE sid = ? AND account_sid = ?", (named, account_sid)
            )
            if position is not None:
                return int(position)
        raise invalid_page_token(token)

    # -- update / delete ------------------------------------------------------------------

    def update(self, account_sid: str, sid: str, body: str | None, status: str | None) -> Message:
        """Redact (``Body=""``) or cancel (``Status=canceled``) a message."""
        message = self.get(account_sid, sid)
        if status is not None:
            if status != "canceled":
                raise TwilioError(20001, 400, f"Invalid Status {status}: only canceled")
            if message.status not in {"accepted", "scheduled", "queued"}:
                raise TwilioError(
                    30409,
                    409,
                    f"Message {sid} cannot be canceled in state {message.status.upper()}",
                )
            self.planner.cancel(message)
            return self.get(account_sid, sid)
        if body is not None:
            if body != "":
                raise TwilioError(20001, 400, "Body may only be updated to an empty string")
            if message.status not in lifecycle.FINAL_STATUSES:
                # Twilio refuses to redact a message still on its way (fidelity.md: Messages API).
                raise TwilioError(
                    20009,
                    409,
                    f"Cannot redact message in state {message.status.upper()}",
                )
            self.store.execute(
                "UPDATE messages SET body = '', date_updated = ? WHERE sid = ?",
                (self.clock.now(), sid),
            )
            return self.get(account_sid, sid)
        return message

    def delete(self, account_sid: str, sid: str) -> None:
        """Delete a final message; Twilio refuses those not yet final (fidelity.md: Messages
        API)."""
        message = self.get(account_sid, sid)
        if message.status not in lifecycle.FINAL_STATUSES:
            raise TwilioError(
                20009, 409, f"Cannot delete message in state {message.status.upper()}"
            )
        with self.store.transaction():
            self.store.execute("DELETE FROM messages WHERE sid = ?", (sid,))
            # its media go with it (https://support.twilio.com/hc/en-us/articles/223133687)
            self.parts.delete_of_message(sid)
            self.store.bump_generation()


class MessageRows:
    """Row-level access to ``messages`` and ``sender_queues`` for the delivery engine and
    Messaging Services, which run below the resource rules of :class:`Messages`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def find(self, sid: str) -> Message | None:
        row = self.store.one("SELECT * FROM messages WHERE sid = ?", (sid,))
        return None if row is None else row_to_message(row)

    def move(self, sid: str, columns: Mapping[str, Any], history: tuple[str, str, float]) -> None:
        """Write ``columns`` (names of the messages table, chosen by code) of one message
        and append ``history`` (from, to, at) to its ``status_history``, in one statement."""
        assignments = ", ".join(f"{name} = ?" for name in columns)
        self.store.execute(
            f"UPDATE messages SET {assignments}, {_APPEND_HISTORY[self.store.dialect]}"
            " WHERE sid = ?",
            [*columns.values(), *history, sid],
        )

    def save_extra(self, message: Message) -> None:
        """Store the bookkeeping fields of ``message`` (see :func:`extra_of`)."""
        self.store.execute(
            "UPDATE messages SET extra = ? WHERE sid = ?", (dumps(extra_of(message)), message.sid)
        )

    def id_of(self, sid: str) -> int | None:
        """The row id: creation order, which only grows."""
        row_id = self.store.scalar("SELECT id FROM messages WHERE sid = ?", (sid,))
        return None if row_id is None else int(row_id)

    def count_to(self, account_sid: str, to_number: str, from_id: int, before_id: int) -> int:
        """Messages of ``account_sid`` to ``to_number`` with ``from_id <= id < before_id``."""
        count = self.store.scalar(
            "SELECT COUNT(*) FROM messages WHERE account_sid = ? AND to_number = ?"
            " AND id >= ? AND id < ?",
            (account_sid, to_number, from_id, before_id),
        )
        return int(count or 0)

    def created_total(self) -> int:
        """Messages ever stored (every direction): the high-water mark of ``messages.id``
        (SQLite's AUTOINCREMENT, PostgreSQL's identity sequence), which neither a delete
        nor a reset moves back, so it counts creates exactly even after the rows are
        gone."""
        seq = self.store.scalar(_CREATED_TOTAL[self.store.dialect])
        return int(seq or 0)

    def count_by_status(self) -> list[tuple[str, int]]:
        """(status, count) of the messages stored now: a walk of the status index, not
        of the rows (a scrape of a million messages must stay cheap)."""
        rows = self.store.all(_COUNT_BY_STATUS[self.store.dialect])
        return [(str(r[0]), int(r[1])) for r in rows]

    def count_by_error(self) -> list[tuple[int, int]]:
        """(error code, count) of the messages stored now with one, from the partial
        index of error codes (which holds only those messages)."""
        rows = self.store.all(
            "SELECT error_code, COUNT(*) FROM messages WHERE error_code IS NOT NULL"
            " GROUP BY error_code"
        )
        return [(int(r[0]), int(r[1])) for r in rows]

    def hold_sender_queue(self, sender: str) -> float | None:
        """When ``sender``'s queue drains (epoch seconds), or None if it never sent; and
        the queue's row stays locked until the caller's transaction ends, so that the
        reservation it then stores is based on what it read. An upsert that changes
        nothing takes the row lock on both engines (PostgreSQL's row lock, SQLite's
        writer lock), so two instances on one database cannot both place a message in
        the same free moment and send faster than the sender's rate."""
        busy = self.store.scalar(
            "INSERT INTO sender_queues (sender, busy_until) VALUES (?, 0) ON CONFLICT (sender)"
            " DO UPDATE SET busy_until = sender_queues.busy_until RETURNING busy_until",
            (sender,),
        )
        return float(busy) if busy else None

    def set_sender_busy_until(self, sender: str, busy_until: float) -> None:
        self.store.execute(
            "INSERT INTO sender_queues (sender, busy_until) VALUES (?, ?) ON CONFLICT"
            " (sender) DO UPDATE SET busy_until = excluded.busy_until",
            (sender, busy_until),
        )


# SQL where the two engines' dialects differ, chosen by ``store.dialect``.
_REPLIES_TO = {  # both walk the expression index of migration 4
    "sqlite": "SELECT * FROM messages WHERE direction = 'outbound-reply'"
    " AND json_extract(extra, '$.in_reply_to') = ? ORDER BY id",
    "postgresql": "SELECT * FROM messages WHERE direction = 'outbound-reply'"
    " AND extra::json ->> 'in_reply_to' = ? ORDER BY id",
}
_APPEND_HISTORY = {  # extra.status_history gains [from, to, at] in the same statement
    "sqlite": "extra = json_set(extra, '$.status_history',"
    " json_insert(coalesce(json_extract(extra, '$.status_history'), json('[]')),"
    " '$[#]', json_array(?, ?, ?)))",
    "postgresql": "extra = jsonb_set(extra::jsonb, '{status_history}',"
    " coalesce(extra::jsonb -> 'status_history', '[]'::jsonb)"
    " || jsonb_build_array(jsonb_build_array(?::text, ?::text, ?::float8)))::text",
}
_CREATED_TOTAL = {
    "sqlite": "SELECT seq FROM sqlite_sequence WHERE name = 'messages'",
    "postgresql": "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM messages_id_seq",
}
_COUNT_BY_STATUS = {
    "sqlite": "SELECT status, COUNT(*) FROM messages INDEXED BY messages_status GROUP BY status",
    "postgresql": "SELECT status, COUNT(*) FROM messages GROUP BY status",
}
# SQLite's LIKE ignores ASCII case; PostgreSQL's ILIKE is the same search there.
_BODY_CONTAINS = {
    "sqlite": "body LIKE ? ESCAPE '\\'",
    "postgresql": "body ILIKE ? ESCAPE '\\'",
}


def _inbox_filters(query: InboxQuery, dialect: str) -> Where:
    """The conditions of every filter except ``number`` and the cursor."""
    where = (
        Where()
        .equals("account_sid", query.account_sid)
        .equals("to_number", query.to)
        .equals("from_number", query.from_)
        .equals("status", query.status)
        .equals("direction", query.direction)
        .equals("sid", query.sid)
        .equals("error_code", query.error_code)
    )
    if query.lost_callbacks:
        # The attempts log (webhooks.AttemptLog) keeps the lost callbacks' message SIDs.
        where.add("sid IN (SELECT message_sid FROM lost_callbacks)")
    if query.text:
        escaped = query.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.add(_BODY_CONTAINS[dialect], f"%{escaped}%")
    return where


# The largest integer SQLite stores: no position lies past it.
MAX_POSITION = 2**63 - 1


def parse_page_token(token: str) -> int | str:
    """What a ``PageToken`` names: a storage position (``PA`` + digits, what smsim
    issues) or, from earlier versions, a SID (``PA`` + SID) the caller looks up;
    20001 (400) for anything else."""
    rest = token[len(PAGE_TOKEN_PREFIX) :] if token.startswith(PAGE_TOKEN_PREFIX) else ""
    if rest.isascii() and rest.isdigit():
        if int(rest) <= MAX_POSITION:
            return int(rest)
    elif rest.isascii() and rest.isalnum():
        return rest
    raise invalid_page_token(token)


def invalid_page_token(token: str) -> TwilioError:
    return TwilioError(20001, 400, f"Invalid PageToken {token}")


def page_token_for(position: int) -> str:
    """The ``PageToken`` that resumes after the message stored at ``position``."""
    return f"{PAGE_TOKEN_PREFIX}{position}"


def row_to_message(row: Any) -> Message:
    return from_row(Message, row, **extra_fields(loads(row["extra"])))


def _validity_period(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_VALIDITY_PERIOD
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if not 1 <= value <= DEFAULT_VALIDITY_PERIOD:
        raise twilio_error(21624, value=raw)
    return value


def _initial_status(request: CreateRequest, send_at: float | None) -> str:
    """``scheduled`` or ``accepted`` with a Messaging Service, else ``queued`` (fidelity.md:
    Messages API)."""
    if send_at is not None:
        return "scheduled"
    return "accepted" if request.messaging_service_sid else "queued"


def _parse_send_at(raw: str) -> float | None:
    """ISO 8601 (the SDK sends ``%Y-%m-%dT%H:%M:%SZ``); no zone means UTC; else None."""
    try:
        parsed = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


def valid_callback_url(url: str) -> bool:
    """A URL Twilio accepts for a webhook (``contracts.callback_url``)."""
    return callback_url.is_valid(url)
