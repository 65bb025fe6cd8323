"""What `smsim client serve --workers N` relies on, with each process played by its own
store (its own SQLite connection) on one file: a provider changed through one is seen by
the others' provider caches at once, and the receiver's one-pass signature check answers
as the reference check does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from smsim.client.settings import clean_provider_input
from smsim.client.store import Store
from smsim.contracts.signature import SignatureCheck, compute_signature, validate_signature

SID = "AC" + "1" * 32


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    path = str(tmp_path / "client.db")
    first, second = Store(path), Store(path)
    yield first, second
    first.close()
    second.close()


def _provider(nickname: str, token: str) -> dict[str, object]:
    data = {"nickname": nickname, "account_sid": SID, "auth_token": token}
    return clean_provider_input({**data, "from_numbers": ["+15017250604"]})


def test_a_provider_added_or_changed_in_one_process_reaches_the_others_cache(
    stores: tuple[Store, Store],
) -> None:
    one, other = stores
    assert other.provider_index().active == ()  # cached: empty
    created = one.create_provider(_provider("main", "a" * 32))
    assert [p.id for p in other.provider_index().active] == [created.id]
    one.update_provider(created.id, {"auth_token": "b" * 32})
    assert other.provider_index().by_id[created.id].auth_token == "b" * 32
    one.delete_provider(created.id)
    index = other.provider_index()
    assert index.active == () and created.id in index.by_id  # deleted ones still verify
    assert [p.id for p in index.by_account[SID]] == [created.id]


def test_the_cache_is_not_read_again_while_nothing_changed(stores: tuple[Store, Store]) -> None:
    one, other = stores
    one.create_provider(_provider("main", "a" * 32))
    first = other.provider_index()
    assert other.provider_index() is first


@pytest.mark.parametrize("token", ["a" * 32, "b" * 32])
def test_the_signature_check_agrees_with_the_reference(token: str) -> None:
    form = {"MessageSid": ["SM" + "0" * 32], "To": ["+1 415"], "Body": ["a", "b"], "Empty": [""]}
    url = "https://example.test:8443/sms/twilio?account=x&meta=1.2"
    signature = compute_signature(url.replace(":8443", ""), form, "a" * 32)
    check = SignatureCheck(["http://other.test/sms/twilio", url], form, signature)
    expected = any(
        validate_signature(u, form, signature, token) for u in ("http://other.test/sms/twilio", url)
    )
    assert check.matches(token) is expected is (token == "a" * 32)
    assert not SignatureCheck([url], form, "").matches("a" * 32)
    assert json.dumps(form)  # the form itself is left as it was


def test_a_campaign_whose_sender_fails_is_tried_again_after_a_pause_not_in_a_loop() -> None:
    """The sender process' watcher restarts campaigns the database shows sending; one
    whose sender raises must not be restarted every 50 ms (a traceback each time, and
    settling claims whose requests may still be in flight)."""
    import time
    from typing import Any

    from smsim.client.campaign_runner import CampaignRunner, RunnerSettings

    class OneCampaign:  # the queue as the watcher reads it: campaign 7 is sending
        def running(self) -> list[int]:
            return [7]

        def claimed(self, campaign_id: int) -> list[Any]:
            return []

    runner = CampaignRunner(
        OneCampaign(),  # type: ignore[arg-type]
        send=lambda campaign_id, claim: None,  # type: ignore[arg-type, return-value]
        find_sent=lambda campaign_id, claim: None,
        settings=RunnerSettings(),
        clock=time.time,
    )
    starts: list[float] = []

    def failing_sender(campaign_id: int, wake: Any) -> None:
        starts.append(time.monotonic())
        raise RuntimeError("a bug in the sender")

    runner._send_campaign = failing_sender  # type: ignore[method-assign]
    runner.watch()
    time.sleep(1.0)
    runner.stop(5)
    assert len(starts) == 1
