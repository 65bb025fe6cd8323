"""A receiver that is down, then up, with retries requested (`#rc=5&rp=all`), on the real
clock against a `smsim serve` process: every callback is delivered, every attempt is
logged (refused ones included), and none is delivered twice."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from faults_helpers import Receiver, Serve, poll, send_messages

from smsim.testing import ControlClient

pytestmark = pytest.mark.slow  # real `smsim serve` processes, real clock

MESSAGES = 12
STATUSES = ("sent", "delivered")


def test_receiver_down_then_up_gets_every_callback_and_every_attempt_is_logged(tmp_path: Path):
    config = tmp_path / "outage.yaml"
    config.write_text(
        json.dumps(
            {"enforce_throughput": False, "delays": {"sending": 0, "sent": 0.05, "delivered": 0.2}}
        ),
        encoding="utf-8",
    )
    receiver = Receiver()  # port reserved, nothing listening: connections are refused
    server = Serve("--db", str(tmp_path / "smsim.db"), "--config", str(config))
    try:
        sid, token = server.full_account
        control = ControlClient(server.url)
        url = receiver.url("/status?x=1") + "#rc=5&rp=all"
        sent = send_messages(server.url, sid, token, [f"m{i}" for i in range(MESSAGES)], url)
        assert all(code == 201 for _, code, _ in sent), sent
        sids = {s for _, _, s in sent}
        expected = {(s, status) for s in sids for status in STATUSES}

        def refused_once_each() -> bool:
            failed = {
                (a["message_sid"], a["params"]["MessageStatus"])
                for a in control.callbacks(limit="10000")
                if a["status_code"] is None
            }
            return failed >= expected

        # Every callback's first attempt hits the closed port before the receiver is up.
        poll(refused_once_each, 15, "a refused first attempt for every callback")
        receiver.up()
        poll(lambda: receiver.pairs() >= expected, 30, "every callback at the receiver")

        def settled() -> list[dict]:
            log = control.callbacks(limit="10000")
            delivered = {
                (a["message_sid"], a["params"]["MessageStatus"])
                for a in log
                if a["status_code"] == 200
            }
            return log if delivered >= expected else []

        log = poll(settled, 10, "the attempt log to show every delivery")
    finally:
        server.stop()
        receiver.close()

    assert sorted(receiver.received) == sorted(expected), "each callback delivered exactly once"
    attempts: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for attempt in log:
        attempts[(attempt["message_sid"], attempt["params"]["MessageStatus"])].append(attempt)
    assert set(attempts) == expected
    for key, tries in attempts.items():
        numbers = [a["attempt"] for a in tries]
        assert numbers == list(range(1, len(tries) + 1)), (key, numbers)
        assert 2 <= len(tries) <= 6, (key, numbers)  # 1 attempt + at most rc=5 retries
        *failed, last = tries
        assert all(a["error"] == "connection refused" and a["status_code"] is None for a in failed)
        assert last["status_code"] == 200 and last["error"] is None
        assert all("#" not in a["url"] and a["url"].endswith("/status?x=1") for a in tries)
