"""Outbound SMS price per segment by destination country.

The built-in prices are **illustrative**: small realistic USD figures so that the
``price`` field looks like Twilio's, not Twilio's current price list. Override them
through configuration with :meth:`PriceTable.from_mapping`.

Twilio reports ``price`` as a negative decimal string with five places, e.g.
``"-0.00750"``, and ``price_unit`` as ``"USD"`` (fidelity.md: Messages API).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from types import MappingProxyType

import phonenumbers

from .phone import country_of

__all__ = ["DEFAULT", "PRICE_UNIT", "PriceTable", "price_for"]

PRICE_UNIT = "USD"
_PLACES = Decimal("0.00001")
_DEFAULT_KEY = "default"


@dataclass(frozen=True)
class PriceTable:
    """USD price of one outbound segment per ISO 3166 alpha-2 country, plus a default
    for every country not listed."""

    prices: Mapping[str, Decimal] = field(default_factory=dict, hash=False)
    default: Decimal = Decimal("0.0500")

    def __post_init__(self) -> None:
        # Freeze a private copy so a caller's dict cannot change the table later.
        object.__setattr__(self, "prices", MappingProxyType(dict(self.prices)))

    def per_segment(self, country: str | None) -> Decimal:
        """Price of one segment to ``country`` (None: unknown country, the default)."""
        if country is None:
            return self.default
        return self.prices.get(country, self.default)

    def price_for(self, to_e164: str, segments: int) -> str:
        """This table's Twilio-style price string; see :func:`price_for`."""
        return price_for(to_e164, segments, self)

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, object], *, base: PriceTable | None = None
    ) -> PriceTable:
        """Build a table from configuration such as ``{"US": 0.0079, "default": 0.05}``.

        Keys are ISO 3166 alpha-2 codes (any case) or ``"default"``; values are
        non-negative numbers or numeric strings. The entries are laid over ``base``
        (the built-in :data:`DEFAULT` table when omitted), so configuring one country
        keeps the others; pass ``base=PriceTable()`` to start from an empty table.

        Raises ValueError naming the offending key or value (``"UK"`` is refused with
        a hint, since the ISO code is ``"GB"``).
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"price table must be a mapping, got {type(data).__name__}")
        start = DEFAULT if base is None else base
        prices = dict(start.prices)
        default = start.default
        for key, value in data.items():
            price = _parse_price(key, value)
            if isinstance(key, str) and key.lower() == _DEFAULT_KEY:
                default = price
            else:
                prices[_parse_country(key)] = price
        return cls(prices=prices, default=default)


def _parse_country(key: object) -> str:
    if not isinstance(key, str):
        raise ValueError(f"price table key {key!r} is not a country code string")
    code = key.strip().upper()
    if code == "UK":
        raise ValueError("price table key 'UK' is not an ISO 3166 code: use 'GB'")
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(
            f"price table key {key!r} is not a known ISO 3166 alpha-2 country code "
            f"(or {_DEFAULT_KEY!r})"
        )
    return code


def _parse_price(key: object, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError(f"price for {key!r} must be a number, got {value!r}")
    try:
        # str() first, so 0.0079 stays 0.0079 rather than its binary approximation.
        price = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"price for {key!r} must be a number, got {value!r}") from None
    if not price.is_finite() or price < 0:
        raise ValueError(f"price for {key!r} must be a finite number >= 0, got {value!r}")
    return price


DEFAULT = PriceTable(
    prices={
        "US": Decimal("0.0079"),
        "CA": Decimal("0.0079"),
        "GB": Decimal("0.0463"),
        "IN": Decimal("0.0832"),
        "DE": Decimal("0.0861"),
        "AU": Decimal("0.0515"),
        "BR": Decimal("0.0627"),
        "FR": Decimal("0.0789"),
    },
    default=Decimal("0.0500"),
)


def price_for(to_e164: str, segments: int, table: PriceTable = DEFAULT) -> str:
    """Twilio-style ``price`` for ``segments`` outbound segments to ``to_e164``.

    A negative five-place decimal string (``"-0.00790"`` for one US segment, rounded
    half-up). Zero segments cost ``"0.00000"`` (never ``"-0.00000"``). Unknown or
    non-geographic destinations use the table's default price.
    """
    if isinstance(segments, bool) or not isinstance(segments, int) or segments < 0:
        raise ValueError(f"segments must be a non-negative integer, got {segments!r}")
    amount = (table.per_segment(country_of(to_e164)) * segments).quantize(
        _PLACES, rounding=ROUND_HALF_UP
    )
    if amount == 0:
        return "0.00000"
    return f"-{amount:.5f}"
