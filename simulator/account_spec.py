"""One account spec parser for every way an account is declared.

A ``--config`` file's ``accounts:``, a ``POST /_smsim/accounts`` body and a scenario's
``setup.accounts`` (which the scenario runner posts to that route) all describe an account
the same way, checked by ``contracts/schemas/account_spec.schema.json`` and then by what a
schema cannot say: numbers are read as Twilio reads them (E.164 via ``phonenumbers``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smsim.contracts import callback_url
from smsim.contracts.fields import first_error
from smsim.simulator.accounts import NumberSpec
from smsim.simulator.errors import SimulatorError
from smsim.simulator.ids import is_sid

#: The settings of an owned number besides the number itself: the one list the config
#: file, the control API and the declarative update read.
NUMBER_SETTINGS = ("sms_url", "sms_method", "friendly_name")


#: Twilio's code for a webhook URL it refuses (IncomingPhoneNumbers' ``SmsUrl``).
INVALID_URL_CODE = 21502


class AccountSpecError(SimulatorError):
    """A bad account spec; the message names the field, e.g. ``accounts[1].type: ...``.
    ``code`` is the Twilio code the control API answers with (20001, or 21502 for a
    webhook URL, as the number update route answers)."""

    def __init__(self, message: str, code: int = 20001) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class AccountConfig:
    """A checked account spec: numbers in E.164, ``type`` lower case."""

    type: str = "full"
    auth_token: str | None = None
    sid: str | None = None
    friendly_name: str | None = None
    numbers: tuple[Mapping[str, Any], ...] = ()
    verified_numbers: tuple[str, ...] = ()


def parse_account_spec(raw: Any, where: str = "") -> AccountConfig:
    """Check one account spec; ``where`` prefixes the field names in errors."""
    problem = first_error("account_spec", raw, where)
    if problem is not None:
        raise AccountSpecError(str(problem))
    prefix = f"{where}." if where else ""
    sid = raw.get("sid")
    if sid is not None and not is_sid(sid, "AC"):  # the schema's "$" takes a final newline
        raise AccountSpecError(f"{prefix}sid: must be AC followed by 32 hex digits")
    numbers = tuple(
        _number(item, f"{prefix}numbers[{j}]") for j, item in enumerate(raw.get("numbers") or [])
    )
    verified = tuple(
        _e164(number, f"{prefix}verified_numbers[{j}]")
        for j, number in enumerate(raw.get("verified_numbers") or [])
    )
    return AccountConfig(
        type=str(raw.get("type", "full")).lower(),
        auth_token=raw.get("auth_token"),
        sid=raw.get("sid"),
        friendly_name=raw.get("friendly_name"),
        numbers=numbers,
        verified_numbers=verified,
    )


def number_spec(raw: Mapping[str, Any]) -> NumberSpec:
    """A checked number (see :func:`parse_account_spec`) as the account registry takes it."""
    return NumberSpec(
        phone_number=raw["phone_number"],
        sms_url=raw.get("sms_url"),
        sms_method=str(raw.get("sms_method", "POST")).upper(),
        friendly_name=raw.get("friendly_name"),
    )


def parse_number_spec(item: Any, where: str = "") -> Mapping[str, Any]:
    """One owned number as an account spec lists it (``"+1..."`` or a mapping with its
    webhook), checked: E.164, ``sms_url`` a webhook URL Twilio takes, ``sms_method`` GET
    or POST. Also what ``POST /_smsim/accounts/{sid}/numbers`` reads."""
    problem = first_error("account_spec", {"numbers": [item]}, "")
    if problem is not None:
        raise AccountSpecError(_renamed(str(problem), where))
    # 21421: what Twilio answers for a PhoneNumber it cannot read (the route's old code)
    return _number(item, where, phone_code=21421)


def _renamed(message: str, where: str) -> str:
    """``numbers[0].sms_url: ...`` (the schema's path) as ``{where}.sms_url: ...``."""
    head = "numbers[0]"
    if not message.startswith(head):
        return message
    rest = message[len(head) :]
    return f"{where}{rest}" if where else rest.lstrip(".").lstrip(":").lstrip() or message


def _number(
    item: str | Mapping[str, Any], where: str, phone_code: int = 20001
) -> Mapping[str, Any]:
    spec = {"phone_number": item} if isinstance(item, str) else dict(item)
    url = spec.get("sms_url")
    if url:
        problem = callback_url.problem(url)
        if problem is not None:
            field = f"{where}.sms_url" if where else "sms_url"
            raise AccountSpecError(
                f"{field}: not a valid http(s) URL ({problem})", INVALID_URL_CODE
            )
    number = _e164(spec["phone_number"], where or "phone_number", phone_code)
    return {**spec, "phone_number": number}


def _e164(number: str, where: str, code: int = 20001) -> str:
    from smsim.simulator import phone  # phonenumbers' data: only when a spec lists numbers

    normalized: str | None = phone.normalize(number)
    if normalized is None:
        raise AccountSpecError(
            f"{where}: {number!r} is not a phone number (E.164, e.g. +14155550100)", code
        )
    return normalized
