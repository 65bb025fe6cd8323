"""The status table verify derives its checks from agrees with Twilio's spec, smsim's own
callback contract, and Twilio's documented lifecycle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smsim.contracts import payloads, schema, statuses
from smsim.contracts.verify_plan import late_orders

SPEC_FILE = Path(__file__).resolve().parents[3] / "shared" / "twilio" / "twilio_api_v2010.json"


def test_callback_statuses_are_the_ones_smsims_callback_contract_allows() -> None:
    assert set(statuses.callback_statuses()) == set(payloads.CALLBACK_STATUSES)
    enum = schema("status_callback")["properties"]["MessageStatus"]["enum"]
    assert set(statuses.callback_statuses()) == set(enum)


def test_every_outbound_status_of_twilios_spec_is_in_the_table() -> None:
    if not SPEC_FILE.is_file():
        pytest.skip("Twilio's OpenAPI spec is not beside this checkout")
    spec = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    enum = set(spec["components"]["schemas"]["message_enum_status"]["enum"])
    inbound = {"receiving", "received"}
    assert set(statuses.table()) == enum - inbound


def test_no_callback_for_the_initial_status() -> None:
    # Twilio: no callback for queued without a service, nor for accepted/scheduled.
    assert statuses.lifecycle("delivered", with_service=False) == ["sending", "sent", "delivered"]
    assert statuses.lifecycle("delivered", with_service=True) == [
        "queued",
        "sending",
        "sent",
        "delivered",
    ]
    assert statuses.lifecycle("canceled", with_service=True) == ["canceled"]
    assert statuses.lifecycle("read", with_service=False)[-2:] == ["delivered", "read"]


def test_the_first_final_status_wins() -> None:
    assert statuses.final_status(["undelivered", "sent"]) == "undelivered"
    assert statuses.final_status(["sent", "delivered", "read"]) == "delivered"
    assert statuses.final_status(["read", "delivered"]) == "delivered"
    assert statuses.final_status(["sending", "sent"]) is None
    assert statuses.bucket(["failed", "sending"]) == "failed"
    assert statuses.bucket(["sending", "sent", "canceled"]) is None


def test_late_orders_move_the_final_status_before_each_earlier_one() -> None:
    orders = dict(late_orders(["queued", "sent", "undelivered"]))
    assert orders == {
        "late sent after undelivered": ["queued", "undelivered", "sent"],
        "late queued, sent after undelivered": ["undelivered", "queued", "sent"],
    }


def test_an_unknown_status_is_named() -> None:
    with pytest.raises(KeyError, match="'delivred' is not an outbound message status"):
        statuses.row("delivred")
