"""Payload builders: what they build is what Twilio sends, and always schema-valid."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from smsim.contracts import catalogue, payloads, validate

ACCOUNT = "AC" + "a" * 32
MESSAGE = "SM" + "b" * 32
SERVICE = "MG" + "c" * 32


def test_new_sid_has_prefix_and_32_hex_and_is_fresh() -> None:
    sids = {payloads.new_sid("SM") for _ in range(50)}
    assert len(sids) == 50
    assert all(re.fullmatch(r"SM[0-9a-f]{32}", s) for s in sids)
    with pytest.raises(ValueError, match="two capital letters"):
        payloads.new_sid("sm")


@pytest.mark.parametrize("code", catalogue.async_codes())
def test_error_callback_for_every_async_code_is_schema_valid(code: int) -> None:
    form = payloads.error_callback(
        code, account_sid=ACCOUNT, message_sid=MESSAGE, from_="+15005550006", to="+14155550100"
    )
    validate("status_callback", form)
    assert form["ErrorCode"] == str(code)
    assert form["MessageStatus"] == catalogue.require(code).terminal_status


def test_status_callback_refuses_payloads_twilio_never_sends() -> None:
    ids = {"account_sid": ACCOUNT, "message_sid": MESSAGE, "from_": "+1", "to": "+2"}
    with pytest.raises(ValueError, match="ErrorCode goes with failed/undelivered"):
        payloads.status_callback(status="failed", **ids)
    with pytest.raises(ValueError, match="ErrorCode goes with failed/undelivered"):
        payloads.status_callback(status="delivered", error_code=30005, **ids)
    with pytest.raises(ValueError, match="not sent in status callbacks"):
        payloads.status_callback(status="accepted", **ids)


def test_sync_only_code_has_no_callback() -> None:
    with pytest.raises(ValueError, match="never arrives in a status callback"):
        payloads.error_callback(21211, account_sid=ACCOUNT, message_sid=MESSAGE, from_="a", to="b")


def test_raw_dlr_done_date_only_on_delivery_receipts() -> None:
    ids = {"account_sid": ACCOUNT, "message_sid": MESSAGE, "from_": "+1", "to": "+2"}
    stamp = payloads.raw_dlr_done_date(datetime(2024, 2, 14, 15, 30, 59, tzinfo=UTC))
    assert stamp == "2402141530"
    assert (
        payloads.status_callback(status="delivered", raw_dlr_date=stamp, **ids)["RawDlrDoneDate"]
        == stamp
    )
    assert "RawDlrDoneDate" not in payloads.status_callback(
        status="sent", raw_dlr_date=stamp, **ids
    )


def test_incoming_message_matches_captured_shape() -> None:
    form = payloads.incoming_message(
        account_sid=ACCOUNT,
        message_sid=MESSAGE,
        from_="+19177674492",
        to="+13479604874",
        body="Hi",
        messaging_service_sid=SERVICE,
        media=[("https://example.com/a.jpg", "image/jpeg")],
        geo={"ToCountry": "US", "FromState": "NY"},
        opt_out_type="STOP",
    )
    validate("incoming_message", form)
    assert form["SmsMessageSid"] == form["SmsSid"] == form["MessageSid"] == MESSAGE
    assert (form["NumMedia"], form["MediaUrl0"], form["MediaContentType0"]) == (
        "1",
        "https://example.com/a.jpg",
        "image/jpeg",
    )
    assert form["ToCity"] == "" and form["ToCountry"] == "US"  # unknown geo: empty, present
    assert form["OptOutType"] == "STOP"


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # extension characters cost two septets
        ("€" * 81, 2),
        ("é" * 160, 1),  # é is in GSM-7's basic set
        ("ê" * 70, 1),  # ê is not: UCS-2
        ("ê" * 71, 2),
        ("👍" * 35, 1),  # a surrogate pair is two UCS-2 units
        ("👍" * 36, 2),
    ],
)
def test_count_segments(body: str, segments: int) -> None:
    assert payloads.count_segments(body) == segments
