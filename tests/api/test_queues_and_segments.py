"""Per-sender throughput, queue overflow, ValidityPeriod expiry, MaxPrice, segments."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from smsim.simulator.config import SimulatorConfig
from smsim.simulator.server import SimulatorServer
from smsim.testing import ControlClient

FROM = "+14155550100"


def _fill_queue(simulator, seconds_of_backlog: float) -> None:
    """Pretend the sender already holds ``seconds_of_backlog`` of 1-MPS traffic."""
    now = simulator.engine.clock.now()
    simulator.engine.store.execute(
        "INSERT INTO sender_queues (sender, busy_until) VALUES (?, ?) ON CONFLICT (sender)"
        " DO UPDATE SET busy_until = excluded.busy_until",
        (FROM, now + seconds_of_backlog),
    )


def test_long_code_queue_drains_at_one_segment_per_second(twilio_client, smsim_control):
    sids = [
        twilio_client.messages.create(to=f"+1415555020{i}", from_=FROM, body="x").sid
        for i in range(4)
    ]
    sent_after = {}
    for tick in range(1, 9):
        smsim_control.advance(0.5)
        for sid in sids:
            if sid not in sent_after and twilio_client.messages(sid).fetch().date_sent:
                sent_after[sid] = tick * 0.5
    # Departures at 0, 1, 2, 3 s plus the 0.5 s sent delay.
    assert [sent_after[s] for s in sids] == [0.5, 1.5, 2.5, 3.5]


def test_multi_segment_message_holds_the_sender_for_each_segment(twilio_client, smsim_control):
    long = twilio_client.messages.create(to="+14155550210", from_=FROM, body="y" * 307)
    assert long.num_segments == "3"
    after = twilio_client.messages.create(to="+14155550211", from_=FROM, body="z")
    smsim_control.advance(3.4)
    assert twilio_client.messages(after.sid).fetch().status != "sent"
    smsim_control.advance(0.2)
    assert twilio_client.messages(after.sid).fetch().status == "sent"


def test_full_sender_queue_refuses_with_21611(simulator, twilio_client, smsim_control):
    _fill_queue(simulator, 35999)  # 10 hours at 1 MPS is 36,000 segments
    accepted = twilio_client.messages.create(to="+14155550220", from_=FROM, body="last one")
    with pytest.raises(TwilioRestException) as full:
        twilio_client.messages.create(to="+14155550221", from_=FROM, body="one too many")
    assert (full.value.status, full.value.code) == (429, 21611)
    assert full.value.msg.endswith("SMS queue is full.")
    listed = [m.sid for m in twilio_client.messages.list()]
    assert listed == [accepted.sid]


def test_concurrent_sends_into_a_nearly_full_queue_fill_it_exactly(
    simulator, twilio_client, smsim_control
):
    """Creates sent at once share a transaction. The queue takes exactly what fits; each
    refused send is answered 21611 and stored nowhere, and the ones batched with it stay."""
    _fill_queue(simulator, 35990)  # room for 10 one-segment messages

    def send(i: int) -> str | int:
        try:
            return twilio_client.messages.create(to=f"+1415555{i:04d}", from_=FROM, body="x").sid
        except TwilioRestException as exc:
            return exc.code

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(send, range(30)))

    accepted = [a for a in answers if isinstance(a, str)]
    assert len(accepted) == 10
    assert sorted(a for a in answers if not isinstance(a, str)) == [21611] * 20
    assert sorted(m.sid for m in twilio_client.messages.list()) == sorted(accepted)


def test_validity_period_expiry_fails_with_30036(
    simulator, twilio_client, smsim_control, callback_recorder
):
    _fill_queue(simulator, 100)
    msg = twilio_client.messages.create(
        to="+14155550230",
        from_=FROM,
        body="expires",
        validity_period=50,
        status_callback=callback_recorder.url(),
    )
    smsim_control.advance(49)
    assert twilio_client.messages(msg.sid).fetch().status == "queued"
    smsim_control.advance(2)
    fetched = twilio_client.messages(msg.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("failed", 30036)
    assert [r.params.get("ErrorCode") for r in callback_recorder.requests] == ["30036"]


@pytest.mark.parametrize("value", ["0", "36001", "soon"])
def test_bad_validity_period_is_refused(simulator, twilio_account, value):
    response = requests.post(
        f"{simulator.url}/2010-04-01/Accounts/{twilio_account['sid']}/Messages.json",
        data={"To": "+14155550231", "From": FROM, "Body": "x", "ValidityPeriod": value},
        auth=(twilio_account["sid"], twilio_account["auth_token"]),
        timeout=5,
    )
    assert (response.status_code, response.json()["code"]) == (400, 21624)


def _send_with_max_price(legacy: bool) -> tuple[str, int | None]:
    config = SimulatorConfig(memory=True, port=0, clock="virtual", legacy_max_price=legacy)
    with SimulatorServer(config) as sim:
        control = ControlClient(sim.url)
        account = control.create_account("full", numbers=[FROM])
        created = requests.post(
            f"{sim.url}/2010-04-01/Accounts/{account['sid']}/Messages.json",
            data={"To": "+14155550240", "From": FROM, "Body": "x", "MaxPrice": "0.001"},
            auth=(account["sid"], account["auth_token"]),
            timeout=5,
        ).json()
        control.run_until_idle()
        message = control.messages(sid=created["sid"])[0]
    return message["status"], message["error_code"]


def test_max_price_is_ignored_as_twilio_does_unless_legacy_option():
    assert _send_with_max_price(legacy=False) == ("delivered", None)
    assert _send_with_max_price(legacy=True) == ("failed", 30010)


SEGMENT_TABLE = [
    ("a" * 160, "1"),
    ("a" * 161, "2"),
    ("{" * 80, "1"),  # extension characters count twice
    ("{" * 81, "2"),
    ("é" * 160, "1"),  # é is in the GSM-7 basic set
    ("ç" * 70, "1"),  # ç is not: UCS-2
    ("ç" * 71, "2"),
    ("😀" * 35, "1"),  # emoji are two UCS-2 units
    ("😀" * 36, "2"),
    ("x" * 1600, "11"),
]


@pytest.mark.parametrize(("body", "segments"), SEGMENT_TABLE)
def test_num_segments_for_tricky_bodies(twilio_client, body, segments):
    message = twilio_client.messages.create(to="+14155550250", from_=FROM, body=body)
    assert message.num_segments == segments
    assert twilio_client.messages(message.sid).fetch().body == body


def test_smart_encoding_brings_a_body_back_to_gsm7(twilio_client):
    body = "“Hello” — it’s here…" * 4  # noqa: RUF001 - look-alikes on purpose
    plain = twilio_client.messages.create(to="+14155550251", from_=FROM, body=body)
    smart = twilio_client.messages.create(
        to="+14155550252", from_=FROM, body=body, smart_encoded=True
    )
    assert int(smart.num_segments) < int(plain.num_segments)
    assert smart.body.startswith('"Hello" - it\'s here...')


def test_price_is_set_when_sent_per_segment_and_country(twilio_client, smsim_control):
    us = twilio_client.messages.create(to="+14155550260", from_=FROM, body="a" * 161)
    gb = twilio_client.messages.create(to="+447700900260", from_=FROM, body="hello")
    assert us.price is None
    smsim_control.run_until_idle()
    assert twilio_client.messages(us.sid).fetch().price == "-0.01580"
    fetched = twilio_client.messages(gb.sid).fetch()
    assert fetched.price == "-0.04630" and fetched.price_unit == "USD"
