"""The v1 surface's absolute links (``url``, ``links``, ``meta.*_url``) name this server,
never a Host header it does not answer to as its own: the SDK follows ``next_page_url``
with the account's credentials, so a forged Host there would send them elsewhere."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
import requests


@pytest.fixture
def account(smsim_control: Any) -> dict[str, Any]:
    return smsim_control.create_account("full", numbers=["+14155550171"])


def _services_page(url: str, account: dict[str, Any], host: str | None) -> dict[str, Any]:
    auth = (account["sid"], account["auth_token"])
    requests.post(f"{url}/v1/Services", data={"FriendlyName": "a"}, auth=auth, timeout=5)
    requests.post(f"{url}/v1/Services", data={"FriendlyName": "b"}, auth=auth, timeout=5)
    headers = {"Host": host} if host else {}
    answer = requests.get(
        f"{url}/v1/Services", params={"PageSize": 1}, auth=auth, headers=headers, timeout=5
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _links(page: dict[str, Any]) -> list[str]:
    meta = page["meta"]
    links = [meta["url"], meta["first_page_url"], meta["next_page_url"]]
    for service in page["services"]:
        links += [service["url"], *service["links"].values()]
    return links


@pytest.mark.parametrize(
    "forged", ["evil.example", "evil.example:8910", "localhost:1@evil.example", "a b"]
)
def test_a_foreign_host_header_never_reaches_the_links(simulator, account, forged) -> None:
    page = _services_page(simulator.url, account, forged)
    own = urlsplit(simulator.url).netloc
    assert {urlsplit(link).netloc for link in _links(page)} == {own}
    # and the SDK's next page, followed as given, comes back here
    follow = requests.get(
        page["meta"]["next_page_url"], auth=(account["sid"], account["auth_token"]), timeout=5
    )
    assert follow.status_code == 200 and len(follow.json()["services"]) == 1


def test_a_host_naming_this_server_is_kept(simulator, account) -> None:
    """Reached as localhost (e.g. through a port mapping), links say localhost."""
    port = urlsplit(simulator.url).port
    page = _services_page(simulator.url, account, f"localhost:{port}")
    assert {urlsplit(link).netloc for link in _links(page)} == {f"localhost:{port}"}
