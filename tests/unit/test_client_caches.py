"""The client's hot-path caches: a provider changed through the store is seen by its
provider cache at once, the cache is not read again while nothing changed, and the
receiver's one-pass signature check answers as the reference check does."""

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
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(str(tmp_path / "client.db"))
    yield opened
    opened.close()


def _provider(nickname: str, token: str) -> dict[str, object]:
    data = {"nickname": nickname, "account_sid": SID, "auth_token": token}
    return clean_provider_input({**data, "from_numbers": ["+15017250604"]})


def test_a_provider_added_or_changed_reaches_the_cache(store: Store) -> None:
    assert store.provider_index().active == ()  # cached: empty
    created = store.create_provider(_provider("main", "a" * 32))
    assert [p.id for p in store.provider_index().active] == [created.id]
    store.update_provider(created.id, {"auth_token": "b" * 32})
    assert store.provider_index().by_id[created.id].auth_token == "b" * 32
    store.delete_provider(created.id)
    index = store.provider_index()
    assert index.active == () and created.id in index.by_id  # deleted ones still verify
    assert [p.id for p in index.by_account[SID]] == [created.id]


def test_the_cache_is_not_read_again_while_nothing_changed(store: Store) -> None:
    store.create_provider(_provider("main", "a" * 32))
    first = store.provider_index()
    assert store.provider_index() is first


@pytest.mark.parametrize("token", ["a" * 32, "b" * 32])
def test_the_signature_check_agrees_with_the_reference(token: str) -> None:
    form = {"MessageSid": ["SM" + "0" * 32], "To": ["+1 415"], "Body": ["a", "b"], "Empty": [""]}
    url = "https://example.test:8443/sms/twilio?account=x&meta=1.2"
    signature = compute_signature(url.replace(":8443", ""), form, "a" * 32)
    check = SignatureCheck(["http://store.test/sms/twilio", url], form, signature)
    expected = any(
        validate_signature(u, form, signature, token) for u in ("http://store.test/sms/twilio", url)
    )
    assert check.matches(token) is expected is (token == "a" * 32)
    assert not SignatureCheck([url], form, "").matches("a" * 32)
    assert json.dumps(form)  # the form itself is left as it was
