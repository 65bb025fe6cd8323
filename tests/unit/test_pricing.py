"""Prices: the ``price`` string a user reads on a sent message."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal

import pytest

from smsim.simulator.pricing import DEFAULT, PRICE_UNIT, PriceTable, price_for


@pytest.mark.parametrize(
    ("to", "segments", "price"),
    [
        ("+14155550100", 1, "-0.00790"),
        ("+14155550100", 3, "-0.02370"),
        ("+14155550100", 11, "-0.08690"),
        ("+16135550123", 1, "-0.00790"),  # Canada
        ("+447700900123", 1, "-0.04630"),
        ("+447700900123", 2, "-0.09260"),
        ("+919876543210", 1, "-0.08320"),
        ("+4930123456", 1, "-0.08610"),
        ("+61412345678", 1, "-0.05150"),
        ("+5511987654321", 1, "-0.06270"),
        ("+33612345678", 1, "-0.07890"),
        ("+81312345678", 1, "-0.05000"),  # Japan is not listed: default price
        ("+80012345678", 1, "-0.05000"),  # no country at all: default price
        ("+14155550100", 0, "0.00000"),  # never "-0.00000"
    ],
)
def test_default_prices(to: str, segments: int, price: str) -> None:
    assert price_for(to, segments) == price


def test_price_unit_is_usd() -> None:
    assert PRICE_UNIT == "USD"


def test_table_method_matches_the_function() -> None:
    assert DEFAULT.price_for("+447700900123", 3) == price_for("+447700900123", 3) == "-0.13890"


def test_configured_country_overrides_only_that_country() -> None:
    table = PriceTable.from_mapping({"us": 0.01})
    assert price_for("+14155550100", 1, table) == "-0.01000"
    assert price_for("+447700900123", 1, table) == "-0.04630"
    assert price_for("+14155550100", 1) == "-0.00790"  # the built-in table is unchanged


def test_configured_default_applies_to_unlisted_countries() -> None:
    table = PriceTable.from_mapping({"default": "0.02"})
    assert price_for("+81312345678", 1, table) == "-0.02000"
    assert price_for("+14155550100", 1, table) == "-0.00790"


def test_from_mapping_on_an_empty_base_prices_everything_at_its_default() -> None:
    table = PriceTable.from_mapping({"GB": 0.04}, base=PriceTable(default=Decimal("0.01")))
    assert price_for("+447700900123", 1, table) == "-0.04000"
    assert price_for("+14155550100", 1, table) == "-0.01000"


def test_float_prices_do_not_pick_up_binary_noise() -> None:
    table = PriceTable.from_mapping({"US": 0.0079})
    assert table.prices["US"] == Decimal("0.0079")
    assert price_for("+14155550100", 7, table) == "-0.05530"


def test_rounding_is_half_up_to_five_places() -> None:
    table = PriceTable.from_mapping({"US": "0.000125"})
    assert price_for("+14155550100", 1, table) == "-0.00013"
    assert price_for("+14155550100", 3, table) == "-0.00038"  # 0.000375


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"UK": 0.04}, "'UK' is not an ISO 3166 code: use 'GB'"),
        ({"XX": 0.04}, "'XX' is not a known ISO 3166"),
        ({"USA": 0.04}, "'USA' is not a known ISO 3166"),
        ({1: 0.04}, "key 1 is not a country code"),
        ({"US": -0.01}, "price for 'US' must be a finite number >= 0"),
        ({"US": "cheap"}, "price for 'US' must be a number, got 'cheap'"),
        ({"US": True}, "price for 'US' must be a number, got True"),
        ({"US": None}, "price for 'US' must be a number, got None"),
        ({"US": float("nan")}, "price for 'US' must be a finite number"),
        ({"default": float("inf")}, "price for 'default' must be a finite number"),
    ],
)
def test_from_mapping_names_the_bad_entry(mapping: dict, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        PriceTable.from_mapping(mapping)


def test_from_mapping_refuses_a_non_mapping() -> None:
    with pytest.raises(ValueError, match="must be a mapping, got list"):
        PriceTable.from_mapping([("US", 0.01)])  # type: ignore[arg-type]


def test_tables_cannot_be_changed_after_creation() -> None:
    source = {"US": Decimal("0.01")}
    table = PriceTable(prices=source)
    source["US"] = Decimal("9")
    assert table.per_segment("US") == Decimal("0.01")
    with pytest.raises(TypeError):
        table.prices["US"] = Decimal("9")  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        table.default = Decimal("9")  # type: ignore[misc]


def test_equal_configuration_gives_equal_tables() -> None:
    a = PriceTable.from_mapping({"US": 0.01})
    b = PriceTable.from_mapping({"us": "0.01"})
    assert a == b
    assert hash(a) == hash(b)


@pytest.mark.parametrize("segments", [-1, 1.5, True])
def test_bad_segment_counts_are_refused(segments: object) -> None:
    with pytest.raises(ValueError, match="segments must be a non-negative integer"):
        price_for("+14155550100", segments)  # type: ignore[arg-type]
