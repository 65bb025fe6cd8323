"""The callback attempts log (``GET /_smsim/callbacks``) filters before it limits: every
combination of filters and limits returns the first ``limit`` matching attempts."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from typing import Any

import postgres_helpers
import pytest

from smsim.simulator.store import open_store
from smsim.simulator.webhooks import AttemptLog, AttemptResult, Webhook
from smsim.sqlwhere import Where

URL = "http://127.0.0.1:9/cb"

# (message_sid, kind, MessageStatus, url): four delivered among others, interleaved.
ATTEMPTS = [
    ("SM1", "status", "sent", URL),
    ("SM1", "status", "delivered", URL),
    ("SM2", "status", "sent", URL + "?a=1"),
    ("SM2", "status", "delivered", URL + "?a=1"),
    ("SM3", "inbound", None, "http://127.0.0.1:9/in"),
    ("SM3", "status", "delivered", URL),
    ("SM4", "status", "failed", URL),
    ("SM4", "status", "delivered", "http://127.0.0.1:9/other"),
]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def log(request: pytest.FixtureRequest) -> Iterator[AttemptLog]:
    """The same attempts on each engine (the status filter is each one's JSON SQL)."""
    with contextlib.ExitStack() as stack:
        target = None
        if request.param == "postgresql":
            target = stack.enter_context(postgres_helpers.fresh_database())
        store = open_store(target, memory=target is None)
        stack.callback(store.close)
        yield _filled(AttemptLog(store))


def _filled(attempts: AttemptLog) -> AttemptLog:
    for at, (sid, kind, status, url) in enumerate(ATTEMPTS):
        params = [("MessageSid", sid)] + ([("MessageStatus", status)] if status else [])
        webhook = Webhook(kind, url, params, "AC1", sid, status=status)
        result = AttemptResult(url, {}, 200, "", "", None, None, 0.001)
        attempts.record(None, webhook, result, float(at))
    return attempts


def _expected(filters: dict[str, Any], limit: int) -> list[str]:
    rows = []
    for sid, kind, status, url in ATTEMPTS:
        if filters.get("message_sid") and sid != filters["message_sid"]:
            continue
        if filters.get("kind") and kind != filters["kind"]:
            continue
        if filters.get("status") and status != filters["status"]:
            continue
        if filters.get("url") and url.split("?")[0] != filters["url"]:
            continue
        rows.append(f"{sid}/{kind}/{status}")
    return rows[:limit]


FILTER_VALUES = {
    "message_sid": [None, "SM2", "SM4"],
    "kind": [None, "status", "inbound"],
    "status": [None, "delivered", "sent"],
    "url": [None, URL],
}


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 1000])
def test_every_filter_combination_is_applied_before_the_limit(log: AttemptLog, limit: int):
    for values in itertools.product(*FILTER_VALUES.values()):
        filters = dict(zip(FILTER_VALUES, values, strict=True))
        got = [
            f"{a['message_sid']}/{a['kind']}/{a['params'].get('MessageStatus')}"
            for a in log.query(**filters, limit=limit)
        ]
        assert got == _expected(filters, limit), filters


def test_delivered_with_limit_three_over_four_delivered_returns_three(log: AttemptLog):
    got = log.query(status="delivered", limit=3)
    assert [a["message_sid"] for a in got] == ["SM1", "SM2", "SM3"]


def test_where_skips_absent_filters_and_keeps_parameters_in_order():
    where = (
        Where()
        .equals("a", None)
        .equals("b", "")
        .equals("c", 0)
        .compare("d", ">=", 5)
        .compare("e", "<", None)
    )
    assert where.sql == " WHERE c = ? AND d >= ?"
    assert where.params == [0, 5]
    assert Where().sql == ""
    with pytest.raises(ValueError):
        Where().compare("d", "; DROP", 1)
