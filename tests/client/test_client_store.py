"""Store invariants: callback order and repetition never change the outcome."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from client_helpers import ACCOUNT_SID, AUTH_TOKEN
from hypothesis import given, settings
from hypothesis import strategies as st

from smsim.client.store import SendOutcome, Store

PROGRESS = ["queued", "sending", "sent"]
TERMINAL = ["delivered", "undelivered", "failed"]


def _store_with_message() -> tuple[Store, int]:
    store = Store(":memory:")
    provider = store.create_provider(
        {
            "nickname": "p",
            "account_sid": ACCOUNT_SID,
            "auth_token": AUTH_TOKEN,
            "from_numbers": ("+15005550006",),
        }
    )
    _, (message_id,) = store.create_campaign(
        provider_id=provider.id,
        body="hi",
        recipients=["+14155550100"],
        name=None,
        click_tracking=False,
        template_id=None,
    )
    return store, message_id


@settings(max_examples=150, deadline=None)
@given(
    terminal=st.sampled_from(TERMINAL),
    arrivals=st.lists(st.sampled_from([*PROGRESS, "terminal"]), min_size=1, max_size=12).filter(
        lambda xs: "terminal" in xs
    ),
    send_answer_last=st.booleans(),
)
def test_any_order_and_repetition_of_callbacks_ends_in_the_terminal_status(
    terminal: str, arrivals: list[str], send_answer_last: bool
) -> None:
    store, message_id = _store_with_message()
    sid = "SM" + "a" * 32
    outcome = SendOutcome(message_id, sid, "queued", "+15005550006", None, None)
    if not send_answer_last:
        store.record_send_outcomes([outcome])
    for status in arrivals:
        status = terminal if status == "terminal" else status
        store.record_status_callback(
            provider_id=1,
            message_id=message_id,
            message_sid=sid,
            status=status,
            error_code=30005 if status != "delivered" and status in TERMINAL else None,
            error_message=None,
            params={},
        )
    if send_answer_last:  # Twilio's callbacks outran our own record of the send
        store.record_send_outcomes([outcome])
    message = store.get_message(message_id)
    assert message is not None and (message.status, message.sid) == (terminal, sid)
    counts = store.message_counts(campaign_id=1)
    assert counts["delivered"] + counts["failed"] == 1 and counts["pending"] == 0
    finals = [e for e in store.events(campaign_id=1) if e["name"] != "Notification Sent"]
    assert len(finals) == 1
    store.close()


def test_a_second_terminal_status_is_recorded_but_ignored() -> None:
    store, message_id = _store_with_message()
    sid = "SM" + "b" * 32
    kw = {"provider_id": 1, "message_id": message_id, "message_sid": sid, "params": {}}
    assert (
        store.record_status_callback(
            status="undelivered", error_code=30003, error_message=None, **kw
        )
        == "applied"
    )
    assert (
        store.record_status_callback(status="delivered", error_code=None, error_message=None, **kw)
        == "stale"
    )
    message = store.get_message(message_id)
    assert message is not None and (message.status, message.error_code) == ("undelivered", 30003)


def test_a_reply_answers_the_latest_message_sent_from_the_number_the_handset_texted() -> None:
    store = Store(":memory:")
    provider = store.create_provider(
        {
            "nickname": "p",
            "account_sid": ACCOUNT_SID,
            "auth_token": AUTH_TOKEN,
            "from_numbers": ("+15005550006", "+15005550007"),
        }
    )
    handset = "+14155550100"
    campaigns = {}
    for n, number in enumerate(("+15005550006", "+15005550007")):
        campaign_id, (message_id,) = store.create_campaign(
            provider_id=provider.id,
            body="hi",
            recipients=[handset],
            name=None,
            click_tracking=False,
            template_id=None,
        )
        sid = f"SM{n:032x}"
        store.record_send_outcomes([SendOutcome(message_id, sid, "queued", number, None, None)])
        campaigns[number] = campaign_id
    for number, campaign_id in campaigns.items():
        answered = store.last_message_to(provider.id, handset, number)
        assert answered is not None and answered.campaign_id == campaign_id
    latest = store.last_message_to(provider.id, handset)
    assert latest is not None and latest.campaign_id == campaigns["+15005550007"]


def test_callbacks_recorded_at_once_each_get_their_own_outcome(tmp_path) -> None:
    """Callbacks arriving together share a commit; each caller still learns what happened
    to its own (applied, duplicate, stale), and every one is stored."""
    store = Store(str(tmp_path / "client.db"))
    provider = store.create_provider(
        {
            "nickname": "p",
            "account_sid": ACCOUNT_SID,
            "auth_token": AUTH_TOKEN,
            "from_numbers": ("+15005550006",),
        }
    )
    recipients = [f"+1415555{n:04d}" for n in range(60)]
    _, ids = store.create_campaign(
        provider_id=provider.id,
        body="hi",
        recipients=recipients,
        name=None,
        click_tracking=False,
        template_id=None,
    )
    sids = {message_id: f"SM{message_id:032x}" for message_id in ids}
    # every message: delivered twice (a repeat) and sent, in whatever order threads run
    arrivals = [(m, s) for m in ids for s in ("delivered", "delivered", "sent")]
    start = threading.Barrier(12)

    def record(arrival: tuple[int, str]) -> tuple[int, str, str]:
        message_id, status = arrival
        return (
            message_id,
            status,
            store.record_status_callback(
                provider_id=provider.id,
                message_id=message_id,
                message_sid=sids[message_id],
                status=status,
                error_code=None,
                error_message=None,
                params={"MessageStatus": status},
            ),
        )

    def worker(chunk: list[tuple[int, str]]) -> list[tuple[int, str, str]]:
        start.wait()
        return [record(arrival) for arrival in chunk]

    chunks = [arrivals[i::12] for i in range(12)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = [r for rs in pool.map(worker, chunks) for r in rs]

    by_message: dict[int, list[str]] = {}
    for message_id, status, outcome in results:
        by_message.setdefault(message_id, []).append(f"{status}:{outcome}")
    for message_id in ids:
        outcomes = sorted(by_message[message_id])
        assert outcomes[:2] == ["delivered:applied", "delivered:duplicate"], outcomes
        assert outcomes[2] in ("sent:applied", "sent:stale"), outcomes  # before or after
        message = store.get_message(message_id)
        assert message is not None and message.status == "delivered"
    assert store.message_counts(campaign_id=1)["delivered"] == len(ids)
    store.close()
