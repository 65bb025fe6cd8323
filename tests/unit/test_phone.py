"""Phone numbers and senders: what the simulator accepts as To/From and how it reads them."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsim.simulator.phone import country_of, geo_fields, is_magic, normalize, sender_kind

E164 = re.compile(r"\+[1-9][0-9]{6,14}")


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+14155550100", "US", "+14155550100"),
        # National formats accepted by Twilio in a recorded call (fidelity.md: Errors and magic
        # numbers).
        ("(708)503-8000", "US", "+17085038000"),
        ("708.503.8000", "US", "+17085038000"),
        ("14155550100", "US", "+14155550100"),
        ("4155550100", "US", "+14155550100"),
        ("+1 415-555-0100", "US", "+14155550100"),
        ("  +14155550100 ", "US", "+14155550100"),
        # Magic test numbers stay themselves (fidelity.md: Errors and magic numbers).
        ("+15005550006", "US", "+15005550006"),
        ("+15005550001", "US", "+15005550001"),
        ("5005550009", "US", "+15005550009"),
        # Possible but unallocated numbers are fine for a simulator.
        ("+15551234567", "US", "+15551234567"),
        ("+447700900123", "US", "+447700900123"),
        ("07700 900123", "GB", "+447700900123"),
        ("+919876543210", "US", "+919876543210"),
    ],
)
def test_normalize_accepts_and_returns_e164(raw: str, region: str, expected: str) -> None:
    assert normalize(raw, region) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "123",  # the recorded 21211 example
        "+123",
        "",
        "   ",
        "+",
        "abc",
        "1-800-FLOWERS",  # letters are refused, not translated
        "+1 415 555 0100 ext 5",
        "+1415555010012345",  # longer than E.164 allows
        "5550100",  # local-only (no area code)
        "++14155550100",
        "1+4155550100",
        "\uff11\uff14\uff11\uff15\uff15\uff15\uff15\uff10\uff11\uff10\uff10",  # fullwidth digits
        "whatsapp:+14155550100",
    ],
)
def test_normalize_refuses_what_twilio_answers_21211_for(raw: str) -> None:
    assert normalize(raw) is None


@given(st.text(max_size=30))
def test_normalize_never_raises_and_is_idempotent(raw: str) -> None:
    result = normalize(raw)
    if result is not None:
        assert E164.fullmatch(result)
        assert normalize(result) == result


@given(st.from_regex(r"\+1500555[0-9]{4}", fullmatch=True))
def test_every_magic_number_normalises_to_itself(number: str) -> None:
    assert normalize(number) == number
    assert is_magic(number)
    assert sender_kind(number) == "long_code"
    assert country_of(number) == "US"


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("+15005550006", True),
        ("(500) 555-0006", True),
        ("+14155550100", False),
        ("+150055500061", False),
        ("+25005550006", False),
        ("hello", False),
    ],
)
def test_is_magic(number: str, expected: bool) -> None:
    assert is_magic(number) is expected


@pytest.mark.parametrize(
    ("sender", "kind"),
    [
        ("+14155550100", "long_code"),
        ("+447700900123", "long_code"),
        ("(708)503-8000", "long_code"),
        ("+18225550100", "long_code"),  # 822 is not a toll-free area code
        ("+18005551212", "toll_free"),
        ("+18335550100", "toll_free"),
        ("+18445550100", "toll_free"),
        ("+18555550100", "toll_free"),
        ("+18665550100", "toll_free"),
        ("+18775550100", "toll_free"),
        ("+18885550100", "toll_free"),
        ("(800) 555-1212", "toll_free"),
        ("12345", "short_code"),
        ("123456", "short_code"),
        ("ACME", "alphanumeric"),
        ("My Shop 1", "alphanumeric"),
        ("A", "alphanumeric"),
        ("ABCDEFGHIJK", "alphanumeric"),  # 11 characters: the maximum
        ("1234567890A", "alphanumeric"),
        ("ABCDEFGHIJKL", None),  # 12 characters
        ("Shop-1", None),  # hyphen is not allowed in a sender ID
        ("Caf\u00e9", None),  # non-ASCII letter
        ("12 345", None),  # no letter, not a number
        ("1234", None),  # too short for a short code
        ("1234567", None),  # too long for a short code, too short for a number
        ("", None),
        ("+123", None),
    ],
)
def test_sender_kind(sender: str, kind: str | None) -> None:
    assert sender_kind(sender) == kind


@pytest.mark.parametrize(
    ("number", "country"),
    [
        ("+14155550100", "US"),
        ("+16135550123", "CA"),
        ("+447700900123", "GB"),
        ("+919876543210", "IN"),
        ("+4930123456", "DE"),
        ("+61412345678", "AU"),
        ("+5511987654321", "BR"),
        ("+33612345678", "FR"),
        ("+15005550006", "US"),
        ("+15551234567", "US"),  # unallocated +1 falls back to the main country
        ("+80012345678", None),  # international freephone has no country
        ("4155550100", None),  # not E.164
        ("garbage", None),
    ],
)
def test_country_of(number: str, country: str | None) -> None:
    assert country_of(number) == country


def test_geo_fields_for_a_us_number_look_like_twilios_payload() -> None:
    assert geo_fields("+14155550100") == {
        "City": "SAN FRANCISCO",
        "State": "CA",
        "Zip": "",
        "Country": "US",
    }


def test_geo_fields_with_a_state_level_area_code_give_the_state_only() -> None:
    assert geo_fields("+13479604874") == {"City": "", "State": "NY", "Zip": "", "Country": "US"}


@pytest.mark.parametrize(
    ("number", "country"),
    [("+447700900123", "GB"), ("+15005550006", "US"), ("+80012345678", "")],
)
def test_geo_fields_are_empty_strings_when_unknown(number: str, country: str) -> None:
    # fidelity.md: Inbound and opt-out: the keys are sent with empty values when Twilio does not
    # know them.
    assert geo_fields(number) == {"City": "", "State": "", "Zip": "", "Country": country}


def test_geo_fields_returns_a_fresh_dict_each_call() -> None:
    first = geo_fields("+14155550100")
    first["City"] = "CHANGED"
    assert geo_fields("+14155550100")["City"] == "SAN FRANCISCO"
