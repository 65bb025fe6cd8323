"""Fuzzing, bounded so the suite stays fast:

- every operation of ``/_smsim/openapi.json`` (the Twilio surface and the control API)
  with schemathesis-generated requests, authenticated and not: never a 5xx, and the
  simulator still works afterwards (lists render, a new message is delivered with its
  callbacks);
- property-based bad payloads against the client's receiver (``/sms/twilio``): forged
  ones change nothing, validly signed odd ones never give a 5xx, never move a status
  backwards, and the campaign's stats still become final.

Webhooks only ever reach 127.0.0.1: a fuzzed StatusCallback or SmsUrl naming any other
host is answered by a guard in place of the network.
"""

from __future__ import annotations

import base64
import string
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loopback_sender import LoopbackOnly
from schemathesis.checks import not_a_server_error

from smsim.client import ClientConfig, ClientServer
from smsim.client.store import STATUS_RANK
from smsim.contracts.signature import compute_signature
from smsim.simulator.config import SimulatorConfig
from smsim.simulator.server import SimulatorServer
from smsim.testing import CallbackRecorder, ControlClient

pytestmark = pytest.mark.slow  # a few hundred generated requests

EXAMPLES_PER_OPERATION = 8
STATUSES = {
    "accepted", "scheduled", "queued", "sending", "sent", "delivered", "undelivered",
    "failed", "canceled", "receiving", "received", "read", "partially_delivered",
}  # fmt: skip




@pytest.fixture
def guarded_simulator(store_target: str | None) -> Iterator[SimulatorServer]:
    config = SimulatorConfig(
        memory=store_target is None,
        db_path=store_target,
        port=0,
        clock="virtual",
        threads=8,
        webhook_workers=4,
    )
    with SimulatorServer(config) as server:
        assert server.engine is not None
        server.engine.dispatcher.sender = LoopbackOnly(server.engine.dispatcher.sender)
        yield server


def _basic(sid: str, token: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()}


@pytest.mark.both_engines  # input SQLite stores but PostgreSQL refuses must not be a 500
def test_openapi_operations_never_answer_5xx_and_state_stays_usable(guarded_simulator):
    sim = guarded_simulator
    control = ControlClient(sim.url)
    full = next(a for a in control.accounts() if a["type"] == "full")
    auth = _basic(full["sid"], full["auth_token"])
    victim = control.create_account("full", numbers=["+14155550177"])  # for control routes
    known = _seed_messages(sim, full)
    document = requests.get(sim.url + "/_smsim/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    session = requests.Session()
    session.trust_env = False
    calls: dict[str, int] = {}
    for operation in operations:
        if operation.path == "/_smsim/reset":
            continue  # forgets every account: called once at the end instead
        names = {p.name for p in operation.iter_parameters()}
        fixed_path = {"AccountSid": full["sid"]} if "AccountSid" in names else None
        fixed_query = {"wait": "0"} if operation.path == "/_smsim/messages" else None
        twilio = operation.path.startswith(("/2010-04-01", "/v1/"))
        strategies = [operation.as_strategy(query=fixed_query)]
        if twilio:  # authenticated, in the account that exists, so requests get past 401
            strategies.append(
                operation.as_strategy(headers=auth, path_parameters=fixed_path, query=fixed_query)
            )
        # Steered: real SIDs in the path and a valid To/From, so handlers run past the
        # first check with the rest of the request still fuzzed.
        steered = operation.as_strategy(
            headers=auth if twilio else None, path_parameters=fixed_path, query=fixed_query
        )
        strategies.append(
            st.tuples(steered, st.sampled_from(known)).map(
                lambda pair, victim=victim["sid"]: _steer(pair[0], pair[1], victim)
            )
        )

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=st.one_of(strategies))
        def fuzz(case: Any) -> None:
            headers = dict(case.headers or {})
            case.call_and_validate(
                base_url=sim.url,
                session=session,
                headers=headers,
                checks=[not_a_server_error],
                timeout=30,
            )
            label = case.operation.label
            calls[label] = calls.get(label, 0) + 1

        fuzz()

    assert len(calls) == len(operations) - 1
    _assert_still_usable(sim, control)
    assert control.reset() is not None
    assert control.health()


def _seed_messages(sim: SimulatorServer, account: dict[str, Any]) -> list[str]:
    """A few real messages for the fuzzer to aim at; returns their SIDs."""
    sids = []
    for to in ("+14155550101", "+15005553005", "+14155550102"):
        created = requests.post(
            f"{sim.url}/2010-04-01/Accounts/{account['sid']}/Messages.json",
            data={"To": to, "From": "+15005550006", "Body": "seed"},
            headers=_basic(account["sid"], account["auth_token"]),
            timeout=10,
        )
        assert created.status_code == 201, created.text
        sids.append(created.json()["sid"])
    return sids


def _steer(case: Any, message_sid: str, victim_sid: str) -> Any:
    """Point a generated request at things that exist; everything else stays fuzzed."""
    path = case.operation.path
    params = dict(case.path_parameters or {})
    if "Sid" in params:
        if "/Messages/" in path:
            params["Sid"] = message_sid
        elif path.startswith("/_smsim/accounts/"):
            params["Sid"] = victim_sid
        case.path_parameters = params
    body = case.body if isinstance(case.body, dict) else None
    if body is not None and path.endswith("/Messages.json") and case.method.upper() == "POST":
        body.update({"To": "+14155550123", "From": "+15005550006"})
        body.pop("MessagingServiceSid", None)
        if not body.get("Body"):
            body["Body"] = "fuzzed"
    if body is not None and path == "/_smsim/inbound":
        body.update({"from": "+14155550123", "to": "+14155550177"})
    return case


def _assert_still_usable(sim: SimulatorServer, control: ControlClient) -> None:
    """Whatever the fuzzing did, the simulator's state is coherent and it still works."""
    assert control.health()
    control.clear_rules()
    control.run_until_idle()
    accounts = {a["sid"]: a for a in control.accounts()}
    messages = control.messages(limit="100000")
    assert all(m["status"] in STATUSES for m in messages), {m["status"] for m in messages}
    for message in messages[:50]:  # each stored message still renders through the API
        account = accounts[message["account_sid"]]
        fetched = requests.get(
            f"{sim.url}{message['uri']}",
            headers=_basic(account["sid"], account["auth_token"]),
            timeout=10,
        )
        assert fetched.status_code == 200, fetched.text
    # The fuzzer may have taken any number (the documents' examples name some): use a free one.
    owned = {n["phone_number"] for a in control.accounts() for n in a["numbers"]}
    number = next(f"+1415555{i:04d}" for i in range(100, 10000) if f"+1415555{i:04d}" not in owned)
    fresh = control.create_account("full", numbers=[number])
    with CallbackRecorder() as recorder:
        created = requests.post(
            f"{sim.url}/2010-04-01/Accounts/{fresh['sid']}/Messages.json",
            data={
                "To": "+14155550199",
                "From": number,
                "Body": "after the fuzzing",
                "StatusCallback": recorder.url(),
            },
            headers=_basic(fresh["sid"], fresh["auth_token"]),
            timeout=10,
        )
        assert created.status_code == 201, created.text
        control.run_until_idle()
        got = [(r.params["MessageSid"], r.params["MessageStatus"]) for r in recorder.requests]
    sid = created.json()["sid"]
    assert got == [(sid, "sent"), (sid, "delivered")]


# -- the client's receiver --------------------------------------------------------------

FIELD_NAMES = [
    "MessageSid", "SmsSid", "MessageStatus", "SmsStatus", "ErrorCode", "ErrorMessage",
    "AccountSid", "From", "To", "Body", "ApiVersion", "NumMedia", "RawDlrDoneDate",
]  # fmt: skip
TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40
) | st.sampled_from(["", " ", "0", "-1", "3O005", "\x00", "☀" * 3, "x" * 7000])

HEADER_TEXT = st.text(alphabet=string.ascii_letters + string.digits + "+/=-_.", max_size=40)


@pytest.fixture
def campaign() -> Iterator[dict[str, Any]]:
    """The simulator (virtual clock: callbacks wait) and the client, with a 6-message
    campaign sent and every status still pending."""
    config = SimulatorConfig(memory=True, port=0, clock="virtual", threads=8, webhook_workers=4)
    with SimulatorServer(config) as sim:
        control = ControlClient(sim.url)
        full = next(a for a in control.accounts() if a["type"] == "full")
        client = ClientServer(ClientConfig(memory=True, twilio_base_url=sim.url)).start()
        try:
            integration = client.integration
            provider = integration.add_provider(
                nickname="fuzz",
                account_sid=full["sid"],
                auth_token=full["auth_token"],
                from_numbers=["+15005550006"],
            )
            recipients = [f"+1415555{n:04d}" for n in range(300, 306)]
            stats = integration.send_campaign("hello", recipients, provider=provider["id"])
            assert stats["sent"] == len(recipients) and stats["pending"] == len(recipients)
            sids = [m["sid"] for m in control.messages(limit="100")]
            yield {
                "sim": sim,
                "control": control,
                "client": client,
                "token": full["auth_token"],
                "account": full["sid"],
                "campaign_id": stats["campaign_id"],
                "provider_id": provider["id"],
                "sids": sids,
                "stats": stats,
            }
        finally:
            client.stop()


def _post(client: ClientServer, query: dict[str, str], form: dict[str, str], signature: Any):
    url = f"{client.url}/sms/twilio" + (f"?{urlencode(query)}" if query else "")
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    return url, requests.post(url, data=form, headers=headers, timeout=30)


def _core(stats: dict[str, Any]) -> dict[str, Any]:
    keys = ("targeted", "sent", "delivered", "failed", "pending", "errors")
    return {k: stats[k] for k in keys}


def test_forged_or_unsigned_payloads_change_nothing(campaign):
    client: ClientServer = campaign["client"]
    integration = client.integration
    before = integration.campaign_stats(campaign["campaign_id"])
    provider_before = integration.provider_stats(campaign["provider_id"])
    sid_or_text = st.sampled_from(campaign["sids"]) | TEXT

    @settings(max_examples=60, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(
        form=st.dictionaries(st.sampled_from(FIELD_NAMES) | TEXT, sid_or_text, max_size=8),
        query=st.dictionaries(st.sampled_from(["account", "meta"]) | TEXT, TEXT, max_size=3),
        signature=st.none() | HEADER_TEXT | st.just("forged"),
        wrong_token=st.text(alphabet=string.hexdigits, min_size=32, max_size=32),
    )
    def forged(form, query, signature, wrong_token):
        if signature == "forged":  # signed, but with a token no provider has
            url = f"{client.url}/sms/twilio" + (f"?{urlencode(query)}" if query else "")
            signature = compute_signature(url, sorted(form.items()), wrong_token)
        _, response = _post(client, query, form, signature)
        assert 400 <= response.status_code < 500, (response.status_code, response.text)

    forged()
    assert _core(integration.campaign_stats(campaign["campaign_id"])) == _core(before)
    after = integration.provider_stats(campaign["provider_id"])
    assert after["unattributed"] == provider_before["unattributed"]


def test_signed_odd_payloads_never_5xx_never_regress_and_stats_finish(campaign):
    client: ClientServer = campaign["client"]
    integration = client.integration
    sids: list[str] = campaign["sids"]
    token = campaign["token"]
    rank_seen = {sid: STATUS_RANK["queued"] for sid in sids}
    random_sid = st.builds(
        lambda p, h: p + h,
        st.sampled_from(["SM", "MM", "sm", "XX"]),
        st.text(alphabet="0123456789abcdefABCDEF", min_size=30, max_size=34),
    )

    @settings(max_examples=80, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(
        sid=st.sampled_from(sids) | random_sid | TEXT,
        status=st.sampled_from(sorted(STATUS_RANK)) | TEXT,
        code=st.none() | st.sampled_from(["30003", "30005", "21610"]) | TEXT,
        extra=st.dictionaries(st.sampled_from(FIELD_NAMES) | TEXT, TEXT, max_size=4),
        account=st.sampled_from([campaign["account"], "AC" + "0" * 32]) | TEXT,
    )
    def signed(sid, status, code, extra, account):
        form = {**extra, "MessageSid": sid, "MessageStatus": status, "AccountSid": account}
        if code is not None:
            form["ErrorCode"] = code
        url = f"{client.url}/sms/twilio"
        signature = compute_signature(url, sorted(form.items()), token)
        _, response = _post(client, {}, form, signature)
        assert response.status_code < 500, response.text
        stats = integration.campaign_stats(campaign["campaign_id"])
        assert stats["targeted"] == stats["sent"] == len(sids)
        assert stats["delivered"] + stats["failed"] + stats["pending"] == len(sids)
        for message_sid in sids:  # a status only ever moves up
            stored = integration.store.message_by_sid(message_sid)
            assert stored is not None
            rank = STATUS_RANK.get(stored.status, -1)
            assert rank >= rank_seen[message_sid], (message_sid, stored.status)
            rank_seen[message_sid] = rank

    signed()
    campaign["control"].run_until_idle()  # the real callbacks now arrive
    final = integration.campaign_stats(campaign["campaign_id"])
    assert final["pending"] == 0
    assert final["delivered"] + final["failed"] == final["targeted"] == len(sids)
