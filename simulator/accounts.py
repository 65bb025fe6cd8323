"""Accounts, credentials, owned numbers and verified numbers.

Authentication follows Twilio: HTTP Basic with ``AccountSid:AuthToken`` or an API key
``SK...:secret``. A parent account's credentials reach its subaccounts; nothing reaches
anyone else's (fidelity.md: Messages API). Secrets are compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from smsim.simulator import phone
from smsim.simulator.clock import Clock
from smsim.simulator.errors import TwilioError, authentication_failed, not_found, twilio_error
from smsim.simulator.ids import new_auth_token, new_sid
from smsim.simulator.models import Account, ApiKey, PhoneNumber, VerifiedNumber, from_row
from smsim.simulator.row_cache import RowCache
from smsim.simulator.store_api import Store

ACCOUNT_TYPES = {"trial": "Trial", "full": "Full"}

T = TypeVar("T")


@dataclass(frozen=True)
class NumberSpec:
    """An owned number as given in config or on the control API."""

    phone_number: str
    sms_url: str | None = None
    sms_method: str = "POST"
    friendly_name: str | None = None


@dataclass(frozen=True)
class ValidationRequest:
    """What adding an outgoing caller ID answers: Twilio phones the number and the person
    who answers types ``validation_code``; ``call_sid`` is that verification call.

    smsim places no call: the number is verified at once (docs/fidelity.md, Accounts), so
    the code is shown for fidelity only and nothing waits for it.
    """

    account_sid: str
    call_sid: str
    friendly_name: str
    phone_number: str
    validation_code: str


class Accounts:
    """The account registry."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        # Basic auth on every API request and the token of every webhook read these.
        self._account_rows: RowCache[Account] = RowCache(store)
        self._key_rows: RowCache[tuple[str, str]] = RowCache(store)
        # The opt-out check of every create asks which service a sender belongs to.
        self._service_of_number: RowCache[str] = RowCache(store, keep_missing=True)

    def _changed(self) -> None:
        """After any write to an account or its keys: cached rows are stale."""
        self._account_rows.invalidate()
        self._key_rows.invalidate()

    def _numbers_changed(self) -> None:
        """After any write to an owned number: cached sender look-ups are stale."""
        self._service_of_number.invalidate()

    # -- accounts -------------------------------------------------------------------------

    def create(
        self,
        *,
        account_type: str = "full",
        friendly_name: str | None = None,
        sid: str | None = None,
        auth_token: str | None = None,
        owner_account_sid: str | None = None,
        numbers: Iterable[NumberSpec] = (),
        verified_numbers: Iterable[str] = (),
    ) -> Account:
        """Create an account with its numbers, atomically."""
        now = self.clock.now()
        kind = ACCOUNT_TYPES[account_type.lower()]
        account = Account(
            sid=sid or new_sid("AC"),
            auth_token=auth_token or new_auth_token(),
            friendly_name=friendly_name or f"smsim {kind.lower()} account",
            type=kind,
            status="active",
            owner_account_sid=owner_account_sid,
            date_created=now,
            date_updated=now,
        )
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO accounts (sid, auth_token, friendly_name, type, status,"
                " owner_account_sid, date_created, date_updated) VALUES (?,?,?,?,?,?,?,?)",
                (
                    account.sid,
                    account.auth_token,
                    account.friendly_name,
                    account.type,
                    account.status,
                    account.owner_account_sid,
                    now,
                    now,
                ),
            )
            for spec in numbers:
                self.add_number(account.sid, spec)
            for number in verified_numbers:
                self.add_verified(account.sid, number)
            self._changed()
        return account

    def get(self, sid: str) -> Account | None:
        row = self.store.one("SELECT * FROM accounts WHERE sid = ?", (sid,))
        return None if row is None else from_row(Account, row)

    def cached(self, sid: str) -> Account | None:
        """:meth:`get` from the cache: as fresh as :meth:`get`, since every write to an
        account drops the cache (hot paths: authentication, signing webhooks)."""
        return self._account_rows.get(sid, self.get)

    def all(self) -> list[Account]:
        rows = self.store.all("SELECT * FROM accounts ORDER BY date_created, sid")
        return [from_row(Account, r) for r in rows]

    def subaccounts(self, owner_sid: str) -> list[Account]:
        rows = self.store.all(
            "SELECT * FROM accounts WHERE sid = ? OR owner_account_sid = ? "
            "ORDER BY date_created, sid",
            (owner_sid, owner_sid),
        )
        return [from_row(Account, r) for r in rows]

    def update(self, sid: str, *, friendly_name: str | None, status: str | None) -> Account:
        account = self.get(sid)
        if account is None:
            raise not_found(f"/2010-04-01/Accounts/{sid}.json")
        if status is not None and status not in {"active", "suspended", "closed"}:
            raise TwilioError(
                20001, 400, f"Invalid Status {status}: use active, suspended or closed"
            )
        self.store.execute(
            "UPDATE accounts SET friendly_name = COALESCE(?, friendly_name),"
            " status = COALESCE(?, status), date_updated = ? WHERE sid = ?",
            (friendly_name, status, self.clock.now(), sid),
        )
        self._changed()
        updated = self.get(sid)
        assert updated is not None
        return updated

    def redeclare(
        self, sid: str, *, account_type: str, auth_token: str | None, friendly_name: str | None
    ) -> None:
        """Set what a --config file says about an existing account (None keeps a field)."""
        self.store.execute(
            "UPDATE accounts SET type = ?, auth_token = COALESCE(?, auth_token),"
            " friendly_name = COALESCE(?, friendly_name), date_updated = ? WHERE sid = ?",
            (ACCOUNT_TYPES[account_type.lower()], auth_token, friendly_name, self.clock.now(), sid),
        )
        self._changed()

    # -- credentials ----------------------------------------------------------------------

    def authenticate(self, username: str | None, password: str | None) -> Account:
        """The account whose credentials these are, or 20003."""
        if not username or not password:
            raise authentication_failed()
        if username.startswith("SK"):
            key = self._key_rows.get(username, self._api_key)
            if key is None or not _same_secret(key[0], password):
                raise authentication_failed()
            account = self.cached(key[1])
        else:
            account = self.cached(username)
            if account is None or not _same_secret(account.auth_token, password):
                raise authentication_failed()
        if account is None or account.status == "closed":
            raise authentication_failed()
        return account

    def authorize(self, principal: Account, account_sid: str) -> Account:
        """The account at ``account_sid`` if ``principal`` may act on it, else 20003.

        A parent's credentials reach its subaccounts; any other account is refused
        exactly as a wrong password is, so that a caller learns nothing about it.
        """
        if account_sid == principal.sid:
            return principal
        target = self.cached(account_sid)
        if target is None or target.owner_account_sid != principal.sid:
            raise authentication_failed()
        return target

    def create_api_key(self, account_sid: str, friendly_name: str = "") -> tuple[str, str]:
        sid, secret = new_sid("SK"), new_auth_token()
        self.store.execute(
            "INSERT INTO api_keys (sid, account_sid, secret, friendly_name, date_created)"
            " VALUES (?,?,?,?,?)",
            (sid, account_sid, secret, friendly_name, self.clock.now()),
        )
        self._changed()
        return sid, secret

    def _api_key(self, key_sid: str) -> tuple[str, str] | None:
        """(secret, account SID) of an API key, or None."""
        row = self.store.one("SELECT secret, account_sid FROM api_keys WHERE sid = ?", (key_sid,))
        return None if row is None else (str(row["secret"]), str(row["account_sid"]))

    def api_keys(self, account_sid: str) -> list[ApiKey]:
        """The account's API keys, oldest first, without their secrets."""
        rows = self.store.all(
            "SELECT sid, account_sid, friendly_name, date_created FROM api_keys"
            " WHERE account_sid = ? ORDER BY date_created, sid",
            (account_sid,),
        )
        return [from_row(ApiKey, r) for r in rows]

    # -- owned numbers --------------------------------------------------------------------

    def add_number(self, account_sid: str, spec: NumberSpec) -> PhoneNumber:
        """Give ``account_sid`` a Twilio number (21452-style clash -> 400)."""
        normalized = phone.normalize(spec.phone_number)
        if normalized is None:
            raise TwilioError(21421, 400, f"PhoneNumber {spec.phone_number} is invalid.")
        if spec.sms_method.upper() not in {"GET", "POST"}:
            raise TwilioError(20001, 400, "SmsMethod must be GET or POST")
        if self.store.one("SELECT 1 FROM phone_numbers WHERE phone_number = ?", (normalized,)):
            raise TwilioError(21422, 400, f"PhoneNumber {normalized} is not available.")
        now = self.clock.now()
        number = PhoneNumber(
            sid=new_sid("PN"),
            account_sid=account_sid,
            phone_number=normalized,
            friendly_name=spec.friendly_name or _friendly(normalized),
            sms_url=spec.sms_url,
            sms_method=spec.sms_method.upper(),
            sms_fallback_url=None,
            sms_fallback_method="POST",
            status_callback=None,
            messaging_service_sid=None,
            date_created=now,
            date_updated=now,
        )
        self.store.execute(
            "INSERT INTO phone_numbers (sid, account_sid, phone_number, friendly_name, sms_url,"
            " sms_method, sms_fallback_url, sms_fallback_method, status_callback,"
            " messaging_service_sid, date_created, date_updated)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                number.sid,
                number.account_sid,
                number.phone_number,
                number.friendly_name,
                number.sms_url,
                number.sms_method,
                None,
                "POST",
                None,
                None,
                now,
                now,
            ),
        )
        self._numbers_changed()
        return number

    def _listed(
        self, table: str, record: type[T], account_sid: str, phone_number: str | None
    ) -> list[T]:
        """An account's rows of ``table`` (optionally one phone number), oldest first."""
        sql = f"SELECT * FROM {table} WHERE account_sid = ?"
        args = [account_sid]
        if phone_number:
            sql += " AND phone_number = ?"
            args.append(phone_number)
        rows = self.store.all(sql + " ORDER BY date_created, sid", args)
        return [from_row(record, r) for r in rows]

    def numbers(self, account_sid: str, phone_number: str | None = None) -> list[PhoneNumber]:
        return self._listed("phone_numbers", PhoneNumber, account_sid, phone_number)

    def number(self, account_sid: str, sid: str) -> PhoneNumber:
        """The number ``sid`` of ``account_sid``, or 20404 naming its Twilio URL."""
        found = self.find_number(account_sid, sid)
        if found is None:
            raise not_found(f"/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers/{sid}.json")
        return found

    def number_by_phone(self, phone_number: str) -> PhoneNumber | None:
        row = self.store.one("SELECT * FROM phone_numbers WHERE phone_number = ?", (phone_number,))
        return None if row is None else from_row(PhoneNumber, row)

    def update_number(self, account_sid: str, sid: str, changes: Mapping[str, Any]) -> PhoneNumber:
        """Apply Twilio-named changes (``sms_url``, ``sms_method``, ...) to a number."""
        self.number(account_sid, sid)
        allowed = {
            "friendly_name",
            "sms_url",
            "sms_method",
            "sms_fallback_url",
            "sms_fallback_method",
            "status_callback",
        }
        sets = {k: v for k, v in changes.items() if k in allowed}
        for key in ("sms_method", "sms_fallback_method"):
            if key in sets:
                sets[key] = str(sets[key]).upper()
                if sets[key] not in {"GET", "POST"}:
                    raise TwilioError(20001, 400, f"{_title(key)} must be GET or POST")
        if sets:
            assignments = ", ".join(f"{k} = ?" for k in sets)
            self.store.execute(
                f"UPDATE phone_numbers SET {assignments}, date_updated = ? WHERE sid = ?",
                [*sets.values(), self.clock.now(), sid],
            )
            self._numbers_changed()
        return self.number(account_sid, sid)

    def remove_number(self, account_sid: str, sid: str) -> None:
        """Release the account's number ``sid`` (20404 when it has none such)."""
        self.number(account_sid, sid)
        self.store.execute(
            "DELETE FROM phone_numbers WHERE account_sid = ? AND sid = ?", (account_sid, sid)
        )
        self._numbers_changed()

    def remove(self, sid: str) -> None:
        """Forget the account ``sid``: its keys, numbers, verified numbers and itself
        (the caller removes what other modules keep for it first; see account_removal)."""
        self.store.execute("DELETE FROM api_keys WHERE account_sid = ?", (sid,))
        self.store.execute("DELETE FROM phone_numbers WHERE account_sid = ?", (sid,))
        self.store.execute("DELETE FROM verified_numbers WHERE account_sid = ?", (sid,))
        self.store.execute("DELETE FROM accounts WHERE sid = ?", (sid,))
        self._changed()
        self._numbers_changed()

    def find_number(self, account_sid: str, sid: str) -> PhoneNumber | None:
        """The number ``sid`` of ``account_sid``, or None."""
        row = self.store.one(
            "SELECT * FROM phone_numbers WHERE account_sid = ? AND sid = ?", (account_sid, sid)
        )
        return None if row is None else from_row(PhoneNumber, row)

    def numbers_by_sid(self, sids: Sequence[str]) -> dict[str, PhoneNumber]:
        """The numbers among ``sids`` that exist, by SID (any account)."""
        if not sids:
            return {}
        marks = ",".join("?" * len(sids))
        rows = self.store.all(f"SELECT * FROM phone_numbers WHERE sid IN ({marks})", list(sids))
        return {r["sid"]: from_row(PhoneNumber, r) for r in rows}

    def service_sid_of_number(self, phone_number: str) -> str | None:
        """The Messaging Service whose pool holds ``phone_number``, if any (cached until
        a number changes)."""
        return self._service_of_number.get(phone_number, self._read_service_sid_of_number)

    def _read_service_sid_of_number(self, phone_number: str) -> str | None:
        sid = self.store.scalar(
            "SELECT messaging_service_sid FROM phone_numbers WHERE phone_number = ?",
            (phone_number,),
        )
        return str(sid) if sid else None

    def set_number_service(
        self, sid: str, service_sid: str | None, *, only_from: str | None = None
    ) -> None:
        """Record that number ``sid`` joined ``service_sid`` (None: left its service). With
        ``only_from``, only if the number is still in that service."""
        sql = "UPDATE phone_numbers SET messaging_service_sid = ?, date_updated = ? WHERE sid = ?"
        args: list[Any] = [service_sid, self.clock.now(), sid]
        if only_from is not None:
            sql += " AND messaging_service_sid = ?"
            args.append(only_from)
        self.store.execute(sql, args)
        self._numbers_changed()

    def release_service_numbers(self, service_sid: str) -> None:
        """Every number of a deleted service leaves it (and stays on its account)."""
        self.store.execute(
            "UPDATE phone_numbers SET messaging_service_sid = NULL, date_updated = ?"
            " WHERE messaging_service_sid = ?",
            (self.clock.now(), service_sid),
        )
        self._numbers_changed()

    def owns(self, account_sid: str, phone_number: str) -> bool:
        return bool(
            self.store.one(
                "SELECT 1 FROM phone_numbers WHERE account_sid = ? AND phone_number = ?",
                (account_sid, phone_number),
            )
        )

    # -- verified numbers (OutgoingCallerIds) ----------------------------------------------

    def add_verified(
        self, account_sid: str, number: str, friendly_name: str = ""
    ) -> VerifiedNumber:
        normalized = phone.normalize(number)
        if normalized is None:
            raise twilio_error(21211, to=number)
        existing = self.store.one(
            "SELECT * FROM verified_numbers WHERE account_sid = ? AND phone_number = ?",
            (account_sid, normalized),
        )
        if existing is not None:
            return from_row(VerifiedNumber, existing)
        now = self.clock.now()
        verified = VerifiedNumber(
            sid=new_sid("PN"),
            account_sid=account_sid,
            phone_number=normalized,
            friendly_name=friendly_name or _friendly(normalized),
            date_created=now,
            date_updated=now,
        )
        self.store.execute(
            "INSERT INTO verified_numbers (sid, account_sid, phone_number, friendly_name,"
            " date_created, date_updated) VALUES (?,?,?,?,?,?)",
            (verified.sid, account_sid, normalized, verified.friendly_name, now, now),
        )
        return verified

    def request_validation(
        self, account_sid: str, number: str, friendly_name: str = ""
    ) -> ValidationRequest:
        """Add an outgoing caller ID as Twilio's ``POST OutgoingCallerIds`` does, verified
        at once; asking again for a verified number answers a fresh request and changes
        nothing (https://www.twilio.com/docs/voice/api/outgoing-caller-ids)."""
        verified = self.add_verified(account_sid, number, friendly_name)
        return ValidationRequest(
            account_sid=account_sid,
            call_sid=new_sid("CA"),
            friendly_name=friendly_name or verified.friendly_name,
            phone_number=verified.phone_number,
            validation_code=f"{secrets.randbelow(10**6):06d}",
        )

    def verified(self, account_sid: str, phone_number: str | None = None) -> list[VerifiedNumber]:
        return self._listed("verified_numbers", VerifiedNumber, account_sid, phone_number)

    def remove_verified(self, account_sid: str, sid: str) -> None:
        cursor = self.store.execute(
            "DELETE FROM verified_numbers WHERE account_sid = ? AND sid = ?", (account_sid, sid)
        )
        if cursor.rowcount == 0:
            raise not_found(f"/2010-04-01/Accounts/{account_sid}/OutgoingCallerIds/{sid}.json")

    def is_verified(self, account_sid: str, phone_number: str) -> bool:
        return bool(
            self.store.one(
                "SELECT 1 FROM verified_numbers WHERE account_sid = ? AND phone_number = ?",
                (account_sid, phone_number),
            )
        )


def _friendly(e164: str) -> str:
    """Twilio's friendly name for a US number: ``(415) 555-0100``."""
    if e164.startswith("+1") and len(e164) == 12:
        return f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"
    return e164


def _title(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def _same_secret(stored: str, given: str) -> bool:
    """Constant-time comparison that also takes non-ASCII input (``compare_digest`` on
    str raises for it, which answered a password like ``pässwort`` with a 500)."""
    return hmac.compare_digest(stored.encode("utf-8"), given.encode("utf-8", "replace"))
