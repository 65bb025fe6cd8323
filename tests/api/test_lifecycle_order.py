"""A message always reaches its final status, whatever order its delays are given in.

Each delay is an offset from departure. A partial ``delays`` (in a rule or in the config)
is merged with the defaults, and a step never runs before the step it follows: each
offset is at least the one before it (docs/control-api.md, "Outcome rules"). Before this
rule, a step due before the one it follows was thrown away with every step after it, and
the message stayed in ``sending`` or ``queued`` for ever with no job pending.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from smsim.simulator import lifecycle
from smsim.simulator.config import SimulatorConfig, load_config
from smsim.simulator.server import SimulatorServer
from smsim.testing import CallbackRecorder, ControlClient

pytestmark = pytest.mark.both_engines

FROM = "+14155550100"
TO = "+14155550191"


def _send(url: str, account: dict[str, Any], callback: str, to: str = TO) -> str:
    response = requests.post(
        f"{url}/2010-04-01/Accounts/{account['sid']}/Messages.json",
        data={"To": to, "From": FROM, "Body": "hi", "StatusCallback": callback},
        auth=(account["sid"], account["auth_token"]),
        timeout=5,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["sid"])


def _timeline(sim: SimulatorServer, sid: str) -> list[tuple[str, float]]:
    assert sim.engine is not None
    message = sim.engine.messages.find(sid)
    assert message is not None
    return [(to, at) for _, to, at in message.status_history]


def _run(
    config: SimulatorConfig, recorder: CallbackRecorder, rule: dict[str, Any] | None = None
) -> tuple[str, list[tuple[str, float]], list[str], float]:
    """Send one message under ``config`` (and ``rule``), run until idle; return its final
    status, its timeline, the statuses called back and when it was created."""
    with SimulatorServer(config) as sim:
        control = ControlClient(sim.url)
        account = control.create_account("full", numbers=[FROM])
        if rule is not None:
            control.add_rule(rule)
        created = control.clock()["now"]
        sid = _send(sim.url, account, recorder.url())
        idle = control.run_until_idle()
        assert idle["pending_jobs"] == 0
        final = control.messages(sid=sid)[0]["status"]
        timeline = _timeline(sim, sid)
    statuses = [r.params["MessageStatus"] for r in recorder.requests]
    return final, timeline, statuses, created


VIRTUAL = SimulatorConfig(memory=True, port=0, clock="virtual", threads=4, webhook_workers=2)


@pytest.mark.parametrize(
    ("delays", "expected"),
    [
        # the cases: a later step given alone, earlier than a default after it
        ({"sent": 5}, {"sending": 0.1, "sent": 5.0, "delivered": 5.0}),
        ({"sending": 1}, {"sending": 1.0, "sent": 1.0, "delivered": 2.0}),
        # every step given, out of order: each waits for the one before it
        (
            {"sending": 3, "sent": 1, "delivered": 0},
            {"sending": 3.0, "sent": 3.0, "delivered": 3.0},
        ),
        # in order, as before
        ({"sent": 1, "delivered": 5}, {"sending": 0.1, "sent": 1.0, "delivered": 5.0}),
    ],
)
def test_rule_delays_in_any_order_reach_delivered_with_every_callback(
    callback_recorder: CallbackRecorder, delays: dict[str, float], expected: dict[str, float]
) -> None:
    rule = {"match": {"to": TO}, "outcome": {"status": "delivered", "delays": delays}}
    final, timeline, statuses, created = _run(VIRTUAL, callback_recorder, rule)
    assert final == "delivered"
    assert statuses == ["sent", "delivered"]
    assert [status for status, _ in timeline] == ["sending", "sent", "delivered"]
    for status, at in timeline:
        assert at - created == pytest.approx(expected[status], abs=1e-5), (status, timeline)


def test_undelivered_rule_with_a_late_sent_still_ends_undelivered(
    callback_recorder: CallbackRecorder,
) -> None:
    rule = {"outcome": {"error_code": 30003, "delays": {"sent": 30}}}
    final, timeline, statuses, created = _run(VIRTUAL, callback_recorder, rule)
    assert (final, statuses) == ("undelivered", ["sent", "undelivered"])
    assert timeline[-1][1] - created == pytest.approx(30.0, abs=1e-5)


def test_a_config_with_only_a_late_sent_delivers_every_message(
    tmp_path: Path, callback_recorder: CallbackRecorder
) -> None:
    """``delays: {sent: 3}`` in a --config file used to freeze every message in
    ``sending``: the default delivered offset (2 s) came before it."""
    file = tmp_path / "smsim.yaml"
    file.write_text(yaml.safe_dump({"delays": {"sent": 3}}), encoding="utf-8")
    config = load_config(
        str(file), {"memory": True, "port": 0, "clock": "virtual", "threads": 4}, environ={}
    )
    final, timeline, statuses, created = _run(config, callback_recorder)
    assert final == "delivered"
    assert statuses == ["sent", "delivered"]
    offsets = [at - created for _, at in timeline]
    assert offsets == pytest.approx([0.1, 3.0, 3.0], abs=1e-5)


def test_jitter_never_puts_a_step_before_the_one_it_follows(
    callback_recorder: CallbackRecorder,
) -> None:
    """With jitter each offset moves by up to +/- that fraction; drawn independently, a
    jittered ``delivered`` could fall before a jittered ``sent``."""
    config = VIRTUAL.with_overrides(
        delays=VIRTUAL.delays.__class__(sending=1.0, sent=1.1, delivered=1.2, jitter=0.9)
    )
    with SimulatorServer(config) as sim:
        control = ControlClient(sim.url)
        account = control.create_account("full", numbers=[FROM])
        sids = [
            _send(sim.url, account, callback_recorder.url(), to=f"+1415555{i:04d}")
            for i in range(20)
        ]
        control.run_until_idle()
        for sid in sids:
            timeline = _timeline(sim, sid)
            assert [status for status, _ in timeline] == ["sending", "sent", "delivered"]
            times = [at for _, at in timeline]
            assert times == sorted(times)
    assert len(callback_recorder.requests) == 2 * len(sids)


def test_a_step_that_no_longer_fits_finishes_the_message(
    callback_recorder: CallbackRecorder,
) -> None:
    """A plan stored by an older smsim (steps sorted by time, ``delivered`` before
    ``sent``) is driven to its final status when a step cannot apply, rather than the
    steps after it being dropped."""
    with SimulatorServer(VIRTUAL) as sim:
        assert sim.engine is not None
        engine = sim.engine
        control = ControlClient(sim.url)
        account = control.create_account("full", numbers=[FROM])
        control.add_rule({"outcome": {"delays": {"sending": 1000}}})  # parks it in queued
        sid = _send(sim.url, account, callback_recorder.url())
        with engine.store.transaction():
            engine.scheduler.cancel(sid)
            now = engine.clock.now()
            engine.scheduler.schedule(
                now + 0.1,
                "step",
                sid,
                {
                    "status": "sending",
                    "at": now + 0.1,
                    "error_code": None,
                    "rest": [
                        {"status": "delivered", "at": now + 2.0, "error_code": None},
                        {"status": "sent", "at": now + 5.0, "error_code": None},
                    ],
                },
            )
        control.run_until_idle()
        message = engine.messages.find(sid)
        assert message is not None
        assert message.status == "delivered"
        assert [to for _, to, _ in message.status_history] == ["sending", "sent", "delivered"]
        assert message.status in lifecycle.FINAL_STATUSES
    assert [r.params["MessageStatus"] for r in callback_recorder.requests] == [
        "sent",
        "delivered",
    ]
