"""Messaging Services: the resource, its sender pool, and sender selection (fidelity.md: Messaging
Services).

A service is a row (its Twilio-named settings as JSON); its pool is ``service_senders``
(phone number SIDs), mirrored in ``phone_numbers.messaging_service_sid`` so that inbound
and opt-out code can find a number's service from the number alone. Sticky mappings live
in ``sticky_senders``; the round-robin position of each service is a ``meta`` row.

The engine hands :class:`Services` to messages and delivery: message creation asks
:meth:`Services.check_sender`, the delivery engine asks :meth:`Services.assign_sender`
when a service message leaves ``accepted``/``scheduled``, and the service's
``status_callback`` comes from :meth:`Services.service_status_callback`.

No Flask and no requests here; ``smsim.simulator.http.messaging`` renders the resource.

Choices where Twilio is silent or uncertain (each is smsim's, documented here):

- Defaults of a new service: ``sticky_sender``, ``mms_converter``, ``smart_encoding`` and
  ``area_code_geomatch`` true; ``fallback_to_long_code``, ``synchronous_validation`` and
  ``use_inbound_webhook_on_number`` false; ``scan_message_content`` ``inherit``;
  ``validity_period`` 36000 (fidelity.md: Messaging Services); ``usecase`` ``undeclared``.
  UNCERTAIN.
- Adding a number that is in another service: 21712 (Twilio's error page: "associated with
  another Messaging Service"), HTTP 400. Adding it again to the same service: 80104
  ("PhoneNumber has already been added to Service"), HTTP 409. A PhoneNumberSid that is
  malformed or not a number of the same account: 21421 (Twilio's page for an invalid
  Phone Number SID), HTTP 400.
- An explicit ``From`` outside the pool: 21606, the code Twilio gives a From that is not
  a valid sender for the request (fidelity.md: Errors and magic numbers; Messaging Services "must be
  a member of the pool").
- 21704 when the pool is empty. 21703 when the pool lists numbers but none is still a
  number of the account (released meanwhile), and, once the message leaves
  ``accepted``, when no pool number can reach the recipient (a US/CA toll-free number
  cannot send outside +1): the message then fails with ``error_code`` 21703.
- Sender selection (fidelity.md: Messaging Services calls the precedence UNCERTAIN): explicit From;
  sticky sender for this recipient (when enabled and still in the pool); a pool number in the
  recipient's country (``phone.country_of``), preferring the recipient's area code for
  +1 when ``area_code_geomatch`` is on; otherwise the whole usable pool. Within the
  chosen tier senders are used round-robin, the position persisted per service.
- ``validity_period``: a message sent through a service uses the shorter of its own
  ``ValidityPeriod`` and the service's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from smsim.simulator import meta, phone
from smsim.simulator.accounts import Accounts
from smsim.simulator.clock import Clock
from smsim.simulator.errors import TwilioError, not_found, twilio_error
from smsim.simulator.ids import is_sid, new_sid
from smsim.simulator.messages import (
    DEFAULT_VALIDITY_PERIOD,
    MessageRows,
    invalid_page_token,
    page_token_for,
    parse_page_token,
    valid_callback_url,
)
from smsim.simulator.models import Account, Message
from smsim.simulator.store import dumps, loads
from smsim.simulator.store_api import Store

V1_SERVICES = "/v1/Services"
USECASES = frozenset(
    {"notifications", "marketing", "verification", "discussion", "poll", "undeclared"}
)
SCAN_VALUES = frozenset({"inherit", "enable", "disable"})
_RR_KEY = "service_rr:"


@dataclass(frozen=True)
class Field:
    """One writable service setting: its form name, JSON name, kind and default."""

    form: str
    key: str
    kind: str  # text, url, method, bool, validity, usecase, scan
    default: Any


FIELDS: tuple[Field, ...] = (
    Field("FriendlyName", "friendly_name", "text", None),
    Field("InboundRequestUrl", "inbound_request_url", "url", None),
    Field("InboundMethod", "inbound_method", "method", "POST"),
    Field("FallbackUrl", "fallback_url", "url", None),
    Field("FallbackMethod", "fallback_method", "method", "POST"),
    Field("StatusCallback", "status_callback", "url", None),
    Field("StickySender", "sticky_sender", "bool", True),
    Field("MmsConverter", "mms_converter", "bool", True),
    Field("SmartEncoding", "smart_encoding", "bool", True),
    Field("ScanMessageContent", "scan_message_content", "scan", "inherit"),
    Field("FallbackToLongCode", "fallback_to_long_code", "bool", False),
    Field("AreaCodeGeomatch", "area_code_geomatch", "bool", True),
    Field("ValidityPeriod", "validity_period", "validity", DEFAULT_VALIDITY_PERIOD),
    Field("SynchronousValidation", "synchronous_validation", "bool", False),
    Field("Usecase", "usecase", "usecase", "undeclared"),
    Field("UseInboundWebhookOnNumber", "use_inbound_webhook_on_number", "bool", False),
)


@dataclass(frozen=True)
class Service:
    """A Messaging Service; ``settings`` holds the Twilio-named fields of :data:`FIELDS`."""

    sid: str
    account_sid: str
    settings: dict[str, Any]
    date_created: float
    date_updated: float
    position: int = field(default=0, compare=False)  # storage order, for PageToken

    def __getitem__(self, key: str) -> Any:
        return self.settings.get(key)


@dataclass(frozen=True)
class PoolNumber:
    """A phone number in a service's pool (the ``PhoneNumbers`` subresource)."""

    sid: str  # the number's PN SID
    account_sid: str
    service_sid: str
    phone_number: str
    date_created: float  # when it joined the service
    position: int = field(default=0, compare=False)  # storage order, for PageToken


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, for the renderer (``next_token`` when there is more)."""

    items: list[T]
    page: int
    page_size: int
    next_token: str | None


def parse_settings(form: Mapping[str, str], creating: bool) -> dict[str, Any]:
    """Read and validate Twilio's form fields (the SDK's encoding) into settings.

    On create, ``FriendlyName`` is required (fidelity.md: Messaging Services) and unset fields take
    their defaults; on update only the fields sent are returned. An empty URL clears it.
    """
    settings: dict[str, Any] = {}
    for spec in FIELDS:
        if spec.form not in form:
            if creating:
                settings[spec.key] = spec.default
            continue
        settings[spec.key] = _parse_value(spec, form[spec.form])
    if creating and not settings.get("friendly_name"):
        raise TwilioError(20001, 400, "Missing required parameter FriendlyName in the post body")
    if "friendly_name" in settings and not settings["friendly_name"]:
        raise TwilioError(20001, 400, "FriendlyName cannot be empty")
    return settings


def _parse_value(spec: Field, raw: str) -> Any:
    value = raw.strip()
    if spec.kind == "text":
        if len(value) > 64:
            raise TwilioError(20001, 400, f"{spec.form} must be at most 64 characters")
        return value
    if spec.kind == "url":
        if not value:
            return None
        if not valid_callback_url(value):
            raise TwilioError(20001, 400, f"{spec.form} is not a valid URL: {raw}")
        return value
    if spec.kind == "method":
        if value.upper() not in {"GET", "POST"}:
            raise TwilioError(20001, 400, f"{spec.form} must be GET or POST")
        return value.upper()
    if spec.kind == "bool":
        if value.lower() not in {"true", "false"}:
            raise TwilioError(20001, 400, f"{spec.form} must be true or false")
        return value.lower() == "true"
    if spec.kind == "validity":
        try:
            number = int(value)
        except ValueError:
            number = 0
        if not 1 <= number <= DEFAULT_VALIDITY_PERIOD:
            raise twilio_error(21624)
        return number
    allowed = USECASES if spec.kind == "usecase" else SCAN_VALUES
    if value not in allowed:
        raise TwilioError(20001, 400, f"{spec.form} must be one of {', '.join(sorted(allowed))}")
    return value


def page_of(
    items: Sequence[T],
    position_of: Callable[[T], int],
    page_size: int,
    page: int,
    token: str | None,
    sid_of: Callable[[T], str] | None = None,
) -> Page[T]:
    """Slice ``items`` (in storage order) as Twilio pages: by ``PageToken`` when given,
    else by ``Page``.

    A token is a position (``PA`` + the storage position of the last item shown), not a
    row that must still exist, so deleting the items of a page while paging does not break
    the next one (the same rule as Messages; docs/fidelity.md, "List order, paging").
    ``PA`` + a SID, which earlier versions issued, is still read while that item exists.
    """
    start = page * page_size
    if token:
        start = _token_start(items, position_of, token, sid_of)
    chosen = list(items[start : start + page_size])
    more = start + page_size < len(items)
    next_token = page_token_for(position_of(chosen[-1])) if more and chosen else None
    return Page(chosen, page, page_size, next_token)


def _token_start(
    items: Sequence[T],
    position_of: Callable[[T], int],
    token: str,
    sid_of: Callable[[T], str] | None,
) -> int:
    """The index of the first item after the one ``token`` stands for."""
    named = parse_page_token(token)
    if isinstance(named, int):
        return next((i for i, item in enumerate(items) if position_of(item) > named), len(items))
    if sid_of is not None:
        for i, item in enumerate(items):
            if sid_of(item) == named:
                return i + 1
    raise invalid_page_token(token)


# Storage order is creation (or joining) order: SQLite's rowid; on PostgreSQL, an identity
# column ``position`` (a PostgreSQL table has no stable row order of its own).
_SERVICES_IN_ORDER = {
    "sqlite": "SELECT rowid AS position, * FROM services WHERE account_sid = ? ORDER BY rowid",
    "postgresql": "SELECT * FROM services WHERE account_sid = ? ORDER BY position",
}
_POOL_IN_ORDER = {
    "sqlite": "SELECT rowid AS position, phone_sid, date_created FROM service_senders"
    " WHERE service_sid = ? ORDER BY rowid",
    "postgresql": "SELECT position, phone_sid, date_created FROM service_senders"
    " WHERE service_sid = ? ORDER BY position",
}


class Services:
    """Messaging Services over the store, plus the hooks messages and delivery call."""

    def __init__(self, store: Store, clock: Clock, accounts: Accounts, rows: MessageRows) -> None:
        self.store = store
        self.clock = clock
        self.accounts = accounts  # owns phone_numbers, where pool membership is mirrored
        self.rows = rows

    # -- the Service resource -----------------------------------------------------------

    def create(self, account_sid: str, settings: Mapping[str, Any]) -> Service:
        """A new service with ``settings`` (as :func:`parse_settings` returns them)."""
        now = self.clock.now()
        full = {spec.key: spec.default for spec in FIELDS}
        full.update(settings)
        service = Service(new_sid("MG"), account_sid, full, now, now)
        self.store.execute(
            "INSERT INTO services (sid, account_sid, data, date_created, date_updated)"
            " VALUES (?,?,?,?,?)",
            (service.sid, account_sid, dumps(full), now, now),
        )
        return service

    def find(self, sid: str) -> Service | None:
        """The service ``sid`` of any account, or None."""
        row = self.store.one("SELECT * FROM services WHERE sid = ?", (sid,))
        if row is None:
            return None
        data = loads(row["data"])
        return Service(sid, row["account_sid"], data, row["date_created"], row["date_updated"])

    def get(self, account_sid: str, sid: str) -> Service:
        """The service ``sid`` of ``account_sid``, or 20404 (another account's too)."""
        service = self.find(sid) if is_sid(sid, "MG") else None
        if service is None or service.account_sid != account_sid:
            raise not_found(f"{V1_SERVICES}/{sid}")
        return service

    def of_account(self, account_sid: str) -> list[Service]:
        # Storage order is creation order (date_created never runs backwards on one
        # clock), and a PageToken names a position in it.
        rows = self.store.all(_SERVICES_IN_ORDER[self.store.dialect], (account_sid,))
        return [
            Service(
                r["sid"],
                account_sid,
                loads(r["data"]),
                r["date_created"],
                r["date_updated"],
                r["position"],
            )
            for r in rows
        ]

    def page(self, account_sid: str, page_size: int, page: int, token: str | None) -> Page[Service]:
        services = self.of_account(account_sid)
        return page_of(services, _position, page_size, page, token, sid_of=_sid)

    def update(self, account_sid: str, sid: str, changes: Mapping[str, Any]) -> Service:
        service = self.get(account_sid, sid)
        if not changes:
            return service
        data = {**service.settings, **changes}
        self.store.execute(
            "UPDATE services SET data = ?, date_updated = ? WHERE sid = ?",
            (dumps(data), self.clock.now(), sid),
        )
        return self.get(account_sid, sid)

    def delete(self, account_sid: str, sid: str) -> None:
        """Delete the service; its numbers leave it (they stay on the account)."""
        self.get(account_sid, sid)
        with self.store.transaction():
            self.accounts.release_service_numbers(sid)
            self.store.execute("DELETE FROM service_senders WHERE service_sid = ?", (sid,))
            self.store.execute("DELETE FROM sticky_senders WHERE service_sid = ?", (sid,))
            meta.delete(self.store, _RR_KEY + sid)
            self.store.execute("DELETE FROM services WHERE sid = ?", (sid,))

    # -- the PhoneNumbers subresource -----------------------------------------------------

    def add_number(self, account_sid: str, service_sid: str, phone_sid: str | None) -> PoolNumber:
        """Put the account's number ``phone_sid`` in the pool (see the module docstring
        for the codes of a missing, foreign or already pooled number)."""
        self.get(account_sid, service_sid)
        if not phone_sid:
            raise TwilioError(
                20001, 400, "Missing required parameter PhoneNumberSid in the post body"
            )
        number = (
            self.accounts.find_number(account_sid, phone_sid) if is_sid(phone_sid, "PN") else None
        )
        if number is None:
            raise TwilioError(21421, 400, f"PhoneNumberSid {phone_sid} is invalid.")
        current = number.messaging_service_sid
        if current == service_sid:
            raise TwilioError(80104, 409, "PhoneNumber has already been added to Service")
        if current:
            raise TwilioError(
                21712,
                400,
                "Phone Number or Short Code is associated with another Messaging Service.",
            )
        now = self.clock.now()
        with self.store.transaction():
            # a row left from before goes to the end of the pool, as a new member
            self.store.execute(
                "DELETE FROM service_senders WHERE service_sid = ? AND phone_sid = ?",
                (service_sid, phone_sid),
            )
            self.store.execute(
                "INSERT INTO service_senders (service_sid, phone_sid, date_created)"
                " VALUES (?,?,?)",
                (service_sid, phone_sid, now),
            )
            self.accounts.set_number_service(phone_sid, service_sid)
        return self.number(account_sid, service_sid, phone_sid)

    def numbers(self, account_sid: str, service_sid: str) -> list[PoolNumber]:
        """The pool, in the order numbers joined it."""
        self.get(account_sid, service_sid)
        return self._pool(service_sid)

    def number(self, account_sid: str, service_sid: str, phone_sid: str) -> PoolNumber:
        for member in self.numbers(account_sid, service_sid):
            if member.sid == phone_sid:
                return member
        raise not_found(f"{V1_SERVICES}/{service_sid}/PhoneNumbers/{phone_sid}")

    def remove_number(self, account_sid: str, service_sid: str, phone_sid: str) -> None:
        """Take a number out of the pool; it stays on the account, its sticky
        recipients get a new sender next time."""
        member = self.number(account_sid, service_sid, phone_sid)
        with self.store.transaction():
            self.store.execute(
                "DELETE FROM service_senders WHERE service_sid = ? AND phone_sid = ?",
                (service_sid, phone_sid),
            )
            self.accounts.set_number_service(phone_sid, None, only_from=service_sid)
            self.store.execute(
                "DELETE FROM sticky_senders WHERE service_sid = ? AND from_number = ?",
                (service_sid, member.phone_number),
            )

    def service_sid_of_number(self, phone_number: str) -> str | None:
        """The SID of the service whose pool holds ``phone_number``, if any."""
        return self.accounts.service_sid_of_number(phone_number)

    def _pool(self, service_sid: str) -> list[PoolNumber]:
        joined = self.store.all(_POOL_IN_ORDER[self.store.dialect], (service_sid,))
        numbers = self.accounts.numbers_by_sid([r["phone_sid"] for r in joined])
        return [
            PoolNumber(
                n.sid, n.account_sid, service_sid, n.phone_number, r["date_created"], r["position"]
            )
            for r in joined
            if (n := numbers.get(r["phone_sid"])) is not None
        ]

    def _members(self, service: Service) -> list[PoolNumber]:
        """The usable pool (numbers still on the service's account), or 21704/21703."""
        pool = [m for m in self._pool(service.sid) if m.account_sid == service.account_sid]
        if pool:
            return pool
        listed = self.store.scalar(
            "SELECT COUNT(*) FROM service_senders WHERE service_sid = ?", (service.sid,)
        )
        raise twilio_error(21703 if listed else 21704)

    # -- hooks: message creation and delivery ---------------------------------------------

    def check_sender(self, account: Account, service_sid: str, from_number: str | None) -> None:
        """Refuse a send through ``service_sid`` before it is stored: 21701 for an
        unknown service or another account's, 21704/21703 for an empty or unusable pool,
        21606 for an explicit From outside the pool (fidelity.md: Messaging Services)."""
        service = self.find(service_sid)
        if service is None or service.account_sid != account.sid:
            raise twilio_error(21701, service=service_sid)
        members = self._members(service)
        if from_number and from_number not in {m.phone_number for m in members}:
            raise twilio_error(21606, from_=from_number)

    def assign_sender(self, message: Message) -> str:
        """Pick the sender of a service message leaving ``accepted``/``scheduled``; record
        the sticky mapping. Raises 21701/21703/21704, which fail the message."""
        sid = message.messaging_service_sid or ""
        service = self.find(sid)
        if service is None:
            raise twilio_error(21701, service=sid)
        self._apply_validity(service, message)
        if message.from_number:
            return message.from_number
        members = [m.phone_number for m in self._members(service)]
        to = message.to_number
        reachable = [n for n in members if _can_reach(n, to)]
        if not reachable:
            raise twilio_error(21703)
        sender = self._sticky(service, to, reachable)
        if sender is None:
            sender = self._round_robin(service, _best_tier(service, to, reachable))
        if service["sticky_sender"]:
            self.store.execute(
                "INSERT INTO sticky_senders (service_sid, to_number, from_number)"
                " VALUES (?,?,?) ON CONFLICT (service_sid, to_number)"
                " DO UPDATE SET from_number = excluded.from_number",
                (service.sid, to, sender),
            )
        return sender

    def service_status_callback(self, service_sid: str) -> str | None:
        """The service's ``status_callback`` (fidelity.md: Lifecycle and callbacks: the message's
        own URL wins)."""
        service = self.find(service_sid)
        return None if service is None else service["status_callback"]

    def _sticky(self, service: Service, to: str, reachable: list[str]) -> str | None:
        if not service["sticky_sender"]:
            return None
        known = self.store.scalar(
            "SELECT from_number FROM sticky_senders WHERE service_sid = ? AND to_number = ?",
            (service.sid, to),
        )
        return known if known in reachable else None

    def _round_robin(self, service: Service, tier: list[str]) -> str:
        """The next sender of ``tier`` for ``service``: its position moves in one atomic
        row update, so instances on one database take turns instead of picking the same
        sender twice."""
        taken = meta.count(self.store, _RR_KEY + service.sid)
        position = taken - 1  # the value before this message's turn
        return tier[position % len(tier)]

    def _apply_validity(self, service: Service, message: Message) -> None:
        limit = int(service["validity_period"] or DEFAULT_VALIDITY_PERIOD)
        current = int(message.validity_period or DEFAULT_VALIDITY_PERIOD)
        if limit < current:
            message.validity_period = limit
            self.rows.save_extra(message)


def _can_reach(sender: str, to: str) -> bool:
    """A US/CA toll-free number sends only within +1; other numbers send anywhere."""
    if phone.sender_kind(sender) == "toll_free":
        return to.startswith("+1")
    return True


def _best_tier(service: Service, to: str, reachable: list[str]) -> list[str]:
    """Area code (for +1, when geomatch is on) > same country > the whole usable pool."""
    country = phone.country_of(to)
    same_country = [n for n in reachable if country and phone.country_of(n) == country]
    if service["area_code_geomatch"] and to.startswith("+1") and len(to) == 12:
        same_area = [n for n in same_country if n[:5] == to[:5]]
        if same_area:
            return same_area
    return same_country or reachable


def _position(item: Service | PoolNumber) -> int:
    return item.position


def _sid(item: Service | PoolNumber) -> str:
    return item.sid
