"""Phone numbers and sender IDs: normalisation, sender kinds, countries, geo fields.

Pure functions on strings; the only dependency is ``phonenumbers``. Everything that
parses is cached, because the engine calls these on every message create.

Acceptance rule used by :func:`normalize` (smsim's reading of Twilio's 21211/21212):

* Only ASCII digits, one leading ``+``, spaces, parentheses, dots and hyphens are
  allowed. Letters are refused, so vanity input such as ``1-800-FLOWERS`` is
  *not* translated to digits: Twilio answers 21211 for input with letters.
* The number must be *possible* for its country (right length for the country's
  numbering plan, not just a local-only short form). It need not be *valid* in
  ``phonenumbers``' stricter sense (an allocated range), because test traffic uses
  fictional numbers like ``+15551234567`` and Ofcom drama numbers like
  ``+447700900123``. Clearly broken input (``123``, ``+123``, 16 digits) is refused.
* Without a leading ``+`` the number is read in ``default_region``'s national
  format, so ``(708)503-8000``, ``708.503.8000`` and ``14155550100`` become
  ``+17085038000`` / ``+14155550100`` (fidelity.md: Errors and magic numbers: a recorded Twilio call
  accepted both national forms).
* Twilio's test "magic" numbers ``+1500555XXXX`` (fidelity.md: Errors and magic numbers) always
  normalise to themselves, whatever ``phonenumbers`` thinks of area code 500.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

import phonenumbers

__all__ = [
    "SenderKind",
    "country_of",
    "geo_fields",
    "is_magic",
    "normalize",
    "sender_kind",
]

SenderKind = Literal["long_code", "toll_free", "short_code", "alphanumeric"]

_PHONE_CHARS = re.compile(r"\s*\+?[0-9 ().\-]*[0-9][0-9 ().\-]*\s*")
_MAGIC = re.compile(r"\+1500555[0-9]{4}")
_SHORT_CODE = re.compile(r"[0-9]{5,6}")
# Twilio alphanumeric sender ID: up to 11 of A-Z a-z 0-9 and space, at least one letter.
_ALPHANUMERIC = re.compile(r"(?=[^A-Za-z]*[A-Za-z])[A-Za-z0-9 ]{1,11}")
# US/CA toll-free area codes: 800, 833, 844, 855, 866, 877, 888.
_TOLL_FREE = re.compile(r"\+18(?:00|33|44|55|66|77|88)[0-9]{7}")
_IS_POSSIBLE = phonenumbers.ValidationResult.IS_POSSIBLE
_NON_GEO = "001"  # phonenumbers' region for +800, +808, +870 ... (no country)


@lru_cache(maxsize=8192)
def normalize(number: str, default_region: str = "US") -> str | None:
    """Return the E.164 form of ``number``, or None when Twilio would answer 21211.

    See the module docstring for the exact acceptance rule. ``default_region`` is the
    ISO country used to read numbers written without ``+``.
    """
    if not isinstance(number, str) or _PHONE_CHARS.fullmatch(number) is None:
        return None
    stripped = number.strip()
    if _MAGIC.fullmatch(stripped):
        return stripped
    try:
        parsed = phonenumbers.parse(stripped, default_region)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_possible_number_with_reason(parsed) != _IS_POSSIBLE:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def is_magic(number: str) -> bool:
    """True for Twilio's test-credential magic numbers ``+1500555XXXX`` (fidelity.md: Errors and
    magic numbers).

    National spellings (``(500) 555-0006``) count too, since they normalise to one.
    """
    if _MAGIC.fullmatch(number):
        return True
    e164 = normalize(number)
    return e164 is not None and _MAGIC.fullmatch(e164) is not None


@lru_cache(maxsize=4096)
def sender_kind(sender: str) -> SenderKind | None:
    """Classify a ``From`` value; None means Twilio would answer 21212.

    * ``short_code``: 5 or 6 digits and nothing else.
    * ``alphanumeric``: 1-11 ASCII letters, digits and spaces with at least one letter
      (Twilio's alphanumeric sender ID rule).
    * ``toll_free``: a phone number in +1 800/833/844/855/866/877/888.
    * ``long_code``: any other phone number accepted by :func:`normalize`.
    """
    if not isinstance(sender, str):
        return None
    if _SHORT_CODE.fullmatch(sender):
        return "short_code"
    if _ALPHANUMERIC.fullmatch(sender):
        return "alphanumeric"
    e164 = normalize(sender)
    if e164 is None:
        return None
    if _TOLL_FREE.fullmatch(e164):
        return "toll_free"
    return "long_code"


@lru_cache(maxsize=8192)
def country_of(e164: str) -> str | None:
    """ISO 3166 alpha-2 region of an E.164 number (``"US"``, ``"GB"``, ``"IN"``), else None.

    Numbers that are possible but not allocated (``+15551234567``) fall back to the
    main country of their calling code, so every +1 number prices and throttles as
    US unless ``phonenumbers`` places it elsewhere (``+16135550123`` is ``"CA"``).
    Magic numbers are ``"US"``. Non-geographic codes (+800, +882 ...) give None.
    """
    if not isinstance(e164, str) or not e164.startswith("+"):
        return None
    if _MAGIC.fullmatch(e164):
        return "US"
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(parsed)
    if (region is None or region == _NON_GEO) and parsed.country_code is not None:
        region = phonenumbers.region_code_for_country_code(parsed.country_code)
    if region in (None, _NON_GEO, phonenumbers.UNKNOWN_REGION):
        return None
    return region


# Names the geocoder may return instead of "City, ST" for NANP numbers.
_NANP_AREA_NAMES = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR",
    "California": "CA", "Colorado": "CO", "Connecticut": "CT", "Delaware": "DE",
    "District of Columbia": "DC", "Washington D.C.": "DC", "Florida": "FL",
    "Georgia": "GA", "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL", "Indiana": "IN",
    "Iowa": "IA", "Kansas": "KS", "Kentucky": "KY", "Louisiana": "LA", "Maine": "ME",
    "Maryland": "MD", "Massachusetts": "MA", "Michigan": "MI", "Minnesota": "MN",
    "Mississippi": "MS", "Missouri": "MO", "Montana": "MT", "Nebraska": "NE",
    "Nevada": "NV", "New Hampshire": "NH", "New Jersey": "NJ", "New Mexico": "NM",
    "New York": "NY", "North Carolina": "NC", "North Dakota": "ND", "Ohio": "OH",
    "Oklahoma": "OK", "Oregon": "OR", "Pennsylvania": "PA", "Rhode Island": "RI",
    "South Carolina": "SC", "South Dakota": "SD", "Tennessee": "TN", "Texas": "TX",
    "Utah": "UT", "Vermont": "VT", "Virginia": "VA", "Washington": "WA",
    "Washington State": "WA", "West Virginia": "WV", "Wisconsin": "WI", "Wyoming": "WY",
    "Puerto Rico": "PR",
    "Alberta": "AB", "British Columbia": "BC", "Manitoba": "MB", "New Brunswick": "NB",
    "Newfoundland and Labrador": "NL", "Nova Scotia": "NS", "Ontario": "ON",
    "Prince Edward Island": "PE", "Quebec": "QC", "Saskatchewan": "SK",
    "Northwest Territories": "NT", "Nunavut": "NU", "Yukon": "YT",
}  # fmt: skip
_GEO_REGIONS = frozenset({"US", "CA", "PR"})


def geo_fields(e164: str) -> dict[str, str]:
    """City/State/Zip/Country for the ``From*``/``To*`` fields of an inbound webhook.

    Keys are ``City``, ``State``, ``Zip`` and ``Country``; unknown values are ``""``,
    as in Twilio's UK captures (fidelity.md: Inbound and opt-out). Country comes from
    :func:`country_of`. For US/CA numbers, City and State come from the area code's geocoder entry,
    upper-cased City and two-letter State like Twilio's captured payloads; Zip is
    always ``""`` (smsim has no ZIP data). The geocoder data loads on the first
    US/CA call (about half a second, once per process).
    """
    city, state, country = _geo(e164)
    return {"City": city, "State": state, "Zip": "", "Country": country}


@lru_cache(maxsize=4096)
def _geo(e164: str) -> tuple[str, str, str]:
    country = country_of(e164) or ""
    city = state = ""
    if country in _GEO_REGIONS and not _MAGIC.fullmatch(e164):
        description = _nanp_description(e164)
        if ", " in description:
            city_part, _, state_part = description.rpartition(", ")
            if len(state_part) == 2 and state_part.isalpha():
                city, state = city_part.upper(), state_part
        elif description in _NANP_AREA_NAMES:
            state = _NANP_AREA_NAMES[description]
    return city, state, country


def _nanp_description(e164: str) -> str:
    from phonenumbers import geocoder  # deferred: importing it costs ~0.5 s

    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ""
    return geocoder.description_for_number(parsed, "en") or ""
