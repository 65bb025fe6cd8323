"""``smsim replay`` and ``smsim verify`` against the real client integration.

What a QA engineer does without sending a real SMS: point ``smsim replay --all`` at the
integration's receiver, signed with the provider's auth token, and read the provider's
stats. The stats must move by exactly what was replayed (delivered +1, one failure per
catalogued async code, described as the catalogue describes it, one reply) and nothing
else; the same requests sent again (a Twilio retry) change nothing more.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from smsim import cli
from smsim.client import ClientConfig, ClientServer
from smsim.contracts import catalogue, validate
from smsim.contracts.replay import Identity, full_run, send_all

ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e"
TWILIO_NUMBER = "+15005550006"
HANDSET = "+14155550100"
UNCHANGED_BY_CALLBACKS = (
    "targeted",
    "sent",
    "pending",
    "failed_on_send",
    "failed_without_code",
    "clicked",
    "clicks",
)


@pytest.fixture
def client() -> Iterator[ClientServer]:
    """The integration (no Twilio needed: nothing is sent) with one provider."""
    config = ClientConfig(memory=True, twilio_base_url="http://127.0.0.1:9", account_id="acme")
    with ClientServer(config) as server:
        server.integration.add_provider(
            nickname="twilio-main",
            account_sid=ACCOUNT_SID,
            auth_token=AUTH_TOKEN,
            from_numbers=[TWILIO_NUMBER],
        )
        yield server


def provider_id(client: ClientServer) -> int:
    return int(client.integration.get_provider()["id"])


def callback_url(client: ClientServer) -> str:
    """The provider's callback URL with the query string the integration itself adds."""
    meta = f"0.0.{int(time.time())}.{time.strftime('%Y%m%d', time.gmtime())}.0"
    return f"{client.url}/sms/twilio?account=acme&meta={meta}.{provider_id(client)}"


def stats(client: ClientServer) -> dict[str, Any]:
    """The provider's stats as a user reads them (HTTP), checked against their contract."""
    response = requests.get(f"{client.url}/api/providers/{provider_id(client)}/stats", timeout=10)
    assert response.status_code == 200
    report = response.json()
    validate("stats_report", report)
    return report


def increase(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Every count that moved, by how much (nested count maps as ``key.sub``; lists such
    as ``events_over_time`` are left out)."""
    moved: dict[str, Any] = {}
    for key, value in after.items():
        old = before.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value != old:
            moved[key] = value - (old or 0)
        elif isinstance(value, dict):
            for sub, diff in increase(old or {}, value).items():
                moved[f"{key}.{sub}"] = diff
    return moved


def expected_increase() -> dict[str, int]:
    """What one ``replay --all`` adds: fresh SIDs, so everything is unattributed too."""
    codes = catalogue.async_codes()
    terminal = [catalogue.require(c).terminal_status for c in codes]
    moved = {
        "delivered": 1,
        "failed": len(codes),
        "replied": 1,
        "unique_repliers": 1,
        "unattributed.callbacks": 1 + len(codes),
        "unattributed.by_status.delivered": 1,
        "unattributed.delivered": 1,
        "unattributed.failed": len(codes),
        "unattributed.replies": 1,
    }
    for status in ("failed", "undelivered"):
        if terminal.count(status):
            moved[f"unattributed.by_status.{status}"] = terminal.count(status)
    for code in codes:
        moved[f"errors.{code}"] = 1
        moved[f"unattributed.errors.{code}"] = 1
    return moved


def replay(*extra: str) -> int:
    argv = ["replay", "--auth-token", AUTH_TOKEN, "--account-sid", ACCOUNT_SID]
    return cli.main([*argv, "--from", TWILIO_NUMBER, "--to-number", HANDSET, *extra])


def test_replay_all_moves_the_provider_stats_by_exactly_what_was_sent(
    client: ClientServer, capsys: pytest.CaptureFixture[str]
) -> None:
    before = stats(client)
    events_before = client.integration.events(limit=10_000)

    assert replay("--all", "--to", callback_url(client)) == 0

    total = 2 + len(catalogue.async_codes())
    out = capsys.readouterr().out
    assert f"{total}/{total} accepted (2xx)" in out
    assert AUTH_TOKEN not in out
    after = stats(client)
    assert increase(before, after) == expected_increase()
    for key in UNCHANGED_BY_CALLBACKS:
        assert after[key] == before[key], key

    # The Errors tab: each catalogued code once, with the catalogue's description.
    details = {d["code"]: d for d in after["error_details"]}
    for code in catalogue.async_codes():
        assert details[code]["count"] == 1
        assert details[code]["description"] == catalogue.describe(code)
        assert details[code]["in_catalogue"] is True

    # The reply is an event (callbacks about unknown messages are counted, not events).
    events = client.integration.events(limit=10_000)
    new = events[: len(events) - len(events_before)]
    assert [(e["name"], e["props"].get("body"), e["props"].get("from")) for e in new] == [
        ("Notification Replied", "STOP", HANDSET)
    ]


def test_the_same_requests_again_change_nothing_but_a_new_run_counts_again(
    client: ClientServer,
) -> None:
    who = Identity(account_sid=ACCOUNT_SID, from_=TWILIO_NUMBER, to=HANDSET)
    run = full_run(callback_url(client), AUTH_TOKEN, who, "Yes please")
    first = stats(client)
    assert all(outcome.ok for outcome in send_all(run))
    once = stats(client)
    assert increase(first, once)["delivered"] == 1

    # Twilio retries a webhook it got no answer for: the same SIDs count once.
    outcomes = send_all(run)
    assert all(outcome.ok for outcome in outcomes)
    assert all('"duplicate"' in o.body for o in outcomes[:-1])
    again = stats(client)
    assert increase(once, again) == {}

    # A fresh run is fresh messages.
    assert replay("--all", "--to", callback_url(client)) == 0
    assert increase(again, stats(client))["failed"] == len(catalogue.async_codes())


def test_replay_signed_with_another_token_is_refused_and_counts_nothing(
    client: ClientServer, capsys: pytest.CaptureFixture[str]
) -> None:
    before = stats(client)
    argv = ["replay", "--all", "--to", callback_url(client), "--auth-token", "0" * 32]
    assert cli.main([*argv, "--account-sid", ACCOUNT_SID]) == 1
    out = capsys.readouterr().out
    assert out.count("403 FAILED") == 2 + len(catalogue.async_codes())
    assert "0/" in out.splitlines()[-1]
    assert increase(before, stats(client)) == {}


def test_curl_prints_a_signed_command_without_the_token_and_sends_nothing(
    client: ClientServer, capsys: pytest.CaptureFixture[str]
) -> None:
    before = stats(client)
    url = callback_url(client)
    assert replay("--code", "30005", "--to", url, "--curl") == 0
    printed = capsys.readouterr().out
    assert AUTH_TOKEN not in printed
    words = shlex.split(printed.replace("\\\n", " "))
    assert words[:3] == ["curl", "--location", url]
    assert any(w.startswith("X-Twilio-Signature: ") for w in words)
    assert "ErrorCode=30005" in words
    assert increase(before, stats(client)) == {}

    if shutil.which("curl") is None:
        pytest.skip("curl is not installed: the printed command was not run")
    answer = subprocess.run(
        [*words, "--silent", "--max-time", "10", "--write-out", "\n%{http_code}"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert answer.stdout.rsplit("\n", 1)[-1] == "200"
    moved = increase(before, stats(client))
    assert (moved["failed"], moved["errors.30005"]) == (1, 1)


def test_smsim_verify_cli_passes_against_the_client(
    client: ClientServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # (The sloppy receiver's failures are in test_verify.py.)
    stats_url = f"{client.url}/api/providers/{provider_id(client)}/stats"
    argv = ["verify", "--callback-url", f"{client.url}/sms/twilio?account=acme"]
    argv += ["--auth-token", AUTH_TOKEN, "--stats-url", stats_url]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out and AUTH_TOKEN not in out
    assert "stats match what was sent" in out
