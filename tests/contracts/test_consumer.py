"""Consumer side of the contracts: the client's receiver against generated payloads.

Hypothesis builds payloads from the constraints of the ``status_callback`` and
``incoming_message`` schemas (SID patterns, the status enum, ErrorCode exactly on
failed/undelivered, catalogued and unknown codes, unknown extra fields, unicode bodies up
to 1,600 characters, numbered media), signs them with the provider's auth token and
POSTs them to the running integration, as Twilio would:

* every schema-valid payload is accepted (2xx), and the stats report stays valid;
* every invalid one (schema-invalid fields, repeated fields with different values,
  another content type, a JSON body, a bad or missing signature) is refused with a 4xx,
  never a 5xx, and changes neither the provider's stats nor its events.

The rejected payloads are about a real pending message of a real campaign (sent through
the simulator, whose virtual clock never moves here) so that a wrongly accepted one would
show up in the stats a user reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsim.client import ClientConfig, ClientServer, Integration
from smsim.contracts import ContractError, catalogue, payloads, schema, validate
from smsim.contracts.replay import wire_url
from smsim.contracts.signature import body_sha256, compute_signature
from smsim.simulator.config import SimulatorConfig
from smsim.simulator.server import SimulatorServer
from smsim.testing import ControlClient

TWILIO_NUMBER = "+14155550100"
HANDSET = "+14155550123"
FORM = "application/x-www-form-urlencoded"
GEO_FIELDS = ("FromCity", "FromState", "FromZip", "FromCountry")
GEO_FIELDS += ("ToCity", "ToState", "ToZip", "ToCountry")
HEX = "0123456789abcdefABCDEF"
CALLBACK_STATUSES = schema("status_callback")["properties"]["MessageStatus"]["enum"]
FAILURES = ("failed", "undelivered")
KNOWN_FIELDS = set(schema("status_callback")["properties"]) | set(
    schema("incoming_message")["properties"]
)
FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# -- the running integration ----------------------------------------------------------------


@dataclass
class World:
    """One integration (with one provider and one pending campaign message) for the module."""

    client: ClientServer
    simulator: SimulatorServer
    provider_id: int
    account_sid: str
    auth_token: str
    campaign_id: int
    pending_sid: str  # the campaign message Twilio accepted and has not reported on yet
    pending_url: str  # its StatusCallback URL: the receiver, with account and meta

    @property
    def integration(self) -> Integration:
        return self.client.integration

    @property
    def receiver_url(self) -> str:
        return self.client.url + "/sms/twilio?account=acme"

    def snapshot(self) -> tuple[Any, ...]:
        """What a user reads: provider and campaign stats, and every recorded event."""
        base = self.client.url
        provider = requests.get(f"{base}/api/providers/{self.provider_id}/stats", timeout=10)
        campaign = requests.get(f"{base}/api/campaigns/{self.campaign_id}/stats", timeout=10)
        events = self.integration.events(limit=10_000)
        return provider.json(), campaign.json(), len(events), events[:5]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    """A simulator on a virtual clock that never moves, and the integration sending to it.

    One for the whole module: hypothesis runs many examples per test, and starting servers
    per example would be slow on a small machine."""
    sim_config = SimulatorConfig(memory=True, port=0, clock="virtual", threads=4)
    with SimulatorServer(sim_config) as sim:
        account = ControlClient(sim.url).create_account("full", numbers=[TWILIO_NUMBER])
        config = ClientConfig(memory=True, twilio_base_url=sim.url, account_id="acme")
        with ClientServer(config) as client:
            provider = client.integration.add_provider(
                nickname="twilio",
                account_sid=account["sid"],
                auth_token=account["auth_token"],
                from_numbers=[TWILIO_NUMBER],
            )
            campaign = client.integration.send_campaign("Sale today", [HANDSET])
            [message] = sim.engine.store.all("SELECT sid, status_callback FROM messages")
            assert message["status_callback"].startswith(client.url + "/sms/twilio?account=acme")
            assert campaign["sent"] == 1 and campaign["pending"] == 1
            yield World(
                client=client,
                simulator=sim,
                provider_id=provider["id"],
                account_sid=account["sid"],
                auth_token=account["auth_token"],
                campaign_id=campaign["campaign_id"],
                pending_sid=message["sid"],
                pending_url=message["status_callback"],
            )


# -- strategies built from the schemas ------------------------------------------------------


def pattern_of(name: str, field: str) -> st.SearchStrategy[str]:
    """Strings matching the pattern schema ``name`` gives ``field``."""
    return st.from_regex(schema(name)["properties"][field]["pattern"], fullmatch=True)


def sids(*prefixes: str) -> st.SearchStrategy[str]:
    hex32 = st.text(alphabet=HEX, min_size=32, max_size=32)
    return st.builds(lambda p, h: p + h, st.sampled_from(prefixes), hex32)


# Any unicode text a form can carry (hypothesis never generates lone surrogates).
free_text = st.text(max_size=40)
numbers = st.one_of(
    st.from_regex(r"\A\+[1-9][0-9]{7,14}\Z"),
    st.sampled_from(["whatsapp:+14155550123", "MyBrand", "12345"]),
    st.text(min_size=1, max_size=20),
)
error_codes = st.one_of(
    st.sampled_from([str(c) for c in catalogue.async_codes()]),
    pattern_of("status_callback", "ErrorCode"),  # codes the catalogue does not know
)
extra_fields = st.dictionaries(
    st.from_regex(r"\A[A-Z][A-Za-z]{2,20}\Z").filter(
        lambda k: k not in KNOWN_FIELDS and not k.startswith(("Media", "Message", "Sms"))
    ),
    free_text,
    max_size=3,
)


@st.composite
def status_callbacks(draw: st.DrawFn) -> dict:
    """A schema-valid status callback, fields in the order Twilio sends them."""
    status = draw(st.sampled_from(CALLBACK_STATUSES))
    sid = draw(sids("SM", "MM"))
    form: dict[str, str] = {}
    if status in FAILURES:
        form["ErrorCode"] = draw(error_codes)
    form |= {"SmsSid": sid, "SmsStatus": status, "MessageStatus": status, "To": draw(numbers)}
    if draw(st.booleans()):
        form["MessagingServiceSid"] = draw(sids("MG"))
    form |= {"MessageSid": sid, "AccountSid": draw(sids("AC"))}
    if status not in ("canceled", "failed") or draw(st.booleans()):
        form["From"] = draw(numbers)
    form["ApiVersion"] = "2010-04-01"
    if status in ("delivered", "undelivered") and draw(st.booleans()):
        form["RawDlrDoneDate"] = draw(pattern_of("status_callback", "RawDlrDoneDate"))
    if status in FAILURES and draw(st.booleans()):
        form["ErrorMessage"] = draw(free_text)
    form |= draw(extra_fields)
    validate("status_callback", form)
    return form


@st.composite
def incoming_messages(draw: st.DrawFn, sender: st.SearchStrategy[str] | None = None) -> dict:
    """A schema-valid incoming-message webhook."""
    media = draw(
        st.lists(
            st.tuples(
                st.from_regex(r"\Ahttps://[a-z]{1,12}\.example\.com/[a-z0-9]{1,12}\Z"),
                st.sampled_from(["image/jpeg", "image/png", "video/mp4", "text/vcard"]),
            ),
            max_size=3,
        )
    )
    sid = draw(sids("MM" if media else "SM", "SM"))
    body = draw(st.one_of(st.text(max_size=160), st.text(min_size=1500, max_size=1600)))
    geo = {name: draw(st.one_of(st.just(""), free_text)) for name in GEO_FIELDS}
    form = {
        "ToCountry": geo["ToCountry"],
        "ToState": geo["ToState"],
        "SmsMessageSid": sid,
        "NumMedia": str(len(media)),
        "ToCity": geo["ToCity"],
        "FromZip": geo["FromZip"],
        "SmsSid": sid,
        "FromState": geo["FromState"],
        "SmsStatus": "received",
        "FromCity": geo["FromCity"],
        "Body": body,
        "FromCountry": geo["FromCountry"],
        "To": draw(numbers),
        "ToZip": geo["ToZip"],
        "NumSegments": str(draw(st.integers(1, 11))),
        "MessageSid": sid,
        "AccountSid": draw(sids("AC")),
        "From": draw(numbers if sender is None else sender),
        "ApiVersion": "2010-04-01",
    }
    if draw(st.booleans()):
        form["MessagingServiceSid"] = draw(sids("MG"))
    for index, (url, content_type) in enumerate(media):
        form[f"MediaContentType{index}"] = content_type
        form[f"MediaUrl{index}"] = url
    if draw(st.booleans()):
        form["OptOutType"] = draw(st.sampled_from(["STOP", "START", "HELP"]))
    form |= draw(extra_fields)
    validate("incoming_message", form)
    return form


# -- posting as Twilio does -----------------------------------------------------------------


def post_form(
    url: str, form: list[tuple[str, str]], token: str | None, **headers: str
) -> requests.Response:
    """POST ``form`` url-encoded, signed with ``token`` over the URL that goes on the wire."""
    target = wire_url(url)
    sent = {"Content-Type": FORM, **headers}
    if token is not None:
        sent.setdefault("X-Twilio-Signature", compute_signature(target, form, token))
    return requests.post(target, data=urlencode(form).encode(), headers=sent, timeout=10)


def assert_accepted(response: requests.Response, world: World) -> None:
    assert 200 <= response.status_code < 300, (response.status_code, response.text)
    report = world.integration.provider_stats(world.provider_id)
    validate("stats_report", report)


# -- every valid payload is accepted --------------------------------------------------------


@FUZZ
@given(form=status_callbacks())
def test_every_schema_valid_status_callback_is_accepted(world: World, form: dict) -> None:
    response = post_form(world.receiver_url, list(form.items()), world.auth_token)
    assert_accepted(response, world)
    assert response.json()["outcome"] in {"unattributed", "duplicate"}
    assert response.json()["message_sid"] == form["MessageSid"]


@FUZZ
@given(form=incoming_messages())
def test_every_schema_valid_incoming_message_is_accepted(world: World, form: dict) -> None:
    response = post_form(world.receiver_url, list(form.items()), world.auth_token)
    assert_accepted(response, world)
    assert response.headers["Content-Type"].startswith("text/xml")
    assert response.text.strip().endswith("<Response></Response>")


def test_the_same_callbacks_when_valid_do_move_the_stats(world: World) -> None:
    # The positive control for the refusals below: a valid final callback about a pending
    # campaign message counts (on a second message, so the module's one stays pending).
    to = "+14155550124"
    world.integration.send_campaign("Second", [to])
    [row] = world.simulator.engine.store.all("SELECT sid FROM messages WHERE to_number = ?", [to])
    before = world.snapshot()
    form = pending_callback(row["sid"], world.account_sid, "undelivered", "30005", to=to)
    response = post_form(world.receiver_url, form, world.auth_token)
    assert response.status_code == 200 and response.json()["outcome"] == "applied"
    provider, _, events, _ = world.snapshot()
    assert provider["failed"] == before[0]["failed"] + 1
    assert provider["errors"].get("30005", 0) == before[0]["errors"].get("30005", 0) + 1
    assert events == before[2] + 1  # one Notification Failed event


# -- every invalid payload is refused -------------------------------------------------------


def _drop(*names: str):
    return lambda form: [(k, v) for k, v in form if k not in names]


def _set(name: str, value: str):
    def apply(form: list[tuple[str, str]]) -> list[tuple[str, str]]:
        if any(k == name for k, _ in form):
            return [(k, value if k == name else v) for k, v in form]
        return [*form, (name, value)]

    return apply


def _sid_field(value: str):
    def apply(form: list[tuple[str, str]]) -> list[tuple[str, str]]:
        sid_fields = ("MessageSid", "SmsSid", "SmsMessageSid")
        return [(k, value if k in sid_fields else v) for k, v in form]

    return apply


def _status(status: str, code: str | None = None):
    """Report ``status``, with ErrorCode ``code`` (or none)."""

    def apply(form: list[tuple[str, str]]) -> list[tuple[str, str]]:
        kept = [
            (k, status if k in ("MessageStatus", "SmsStatus") else v)
            for k, v in form
            if k != "ErrorCode"
        ]
        return kept if code is None else [("ErrorCode", code), *kept]

    return apply


def _then(*steps):
    def apply(form: list[tuple[str, str]]) -> list[tuple[str, str]]:
        for step in steps:
            form = step(form)
        return form

    return apply


bad_sids = st.one_of(
    sids("SM").map(lambda s: s[:-1]),  # 31 hex digits
    sids("SM").map(lambda s: s + "a"),  # 33
    sids("SM").map(lambda s: s[:10] + "g" + s[11:]),  # not hex
    sids("sm", "Sm", "AC", "MG", "XX", "CA"),  # not a message SID
    st.just(""),
    st.just("SMXXXXXXXXXXXXXXX"),  # the seed's placeholder
)
# Break either kind of payload.
schema_breakers = st.one_of(
    st.just(_drop("MessageSid")),  # SmsSid alone is not enough
    st.just(_drop("MessageSid", "SmsSid", "SmsMessageSid")),
    st.builds(_sid_field, bad_sids),
    st.just(_drop("AccountSid")),
    st.builds(lambda v: _set("AccountSid", v), st.sampled_from(["AAAAAAA000000", "AC123", ""])),
    st.builds(lambda v: _set("ApiVersion", v), st.sampled_from(["2010-04-0", "", "2008-08-01"])),
    st.just(_drop("ApiVersion")),
    st.just(_drop("To")),
    st.just(_set("To", "")),
    st.builds(lambda v: _set("MessagingServiceSid", v), st.sampled_from(["MGXXXXXXXXXXXXXX", ""])),
)
non_numeric_codes = st.one_of(
    st.sampled_from(["", " ", "oops", "30005a", "3e4", "-30005", "30 005", "300.5"]),
    st.just("\uff13\uff10\uff10\uff10\uff15"),  # 30005 in fullwidth digits
    st.from_regex(r"\A[0-9]{1,4}\Z"),  # too short
    st.from_regex(r"\A[0-9]{7,9}\Z"),  # too long
    st.text(min_size=1, max_size=8).filter(lambda v: not (v.isascii() and v.isdigit())),
)
bad_statuses = st.one_of(
    st.sampled_from(["bogus", "DELIVERED", "Delivered", " delivered", "accepted", "scheduled"]),
    st.text(max_size=12).filter(lambda v: v not in CALLBACK_STATUSES and v != "received"),
)
# Break a status callback.
status_breakers = st.one_of(
    st.builds(lambda c: _status("failed", c), non_numeric_codes),
    st.builds(lambda c: _status("undelivered", c), non_numeric_codes),
    st.just(_status("failed")),  # no ErrorCode
    st.just(_status("undelivered")),
    st.builds(lambda s: _status(s, "30005"), st.sampled_from(["delivered", "sent", "read"])),
    st.just(_then(_status("delivered"), _drop("From"))),
    st.builds(lambda v: _then(_status("delivered"), _set("MessageStatus", v)), bad_statuses),
    st.builds(lambda v: _then(_status("delivered"), _set("SmsStatus", v)), bad_statuses),
    st.just(_drop("SmsStatus")),
    st.just(_drop("MessageStatus", "SmsStatus")),
    st.builds(
        lambda v: _then(_status("delivered"), _set("RawDlrDoneDate", v)),
        st.sampled_from(["yesterday", "2402141561", "24021415"]),
    ),
)
# Break an incoming message.
incoming_breakers = st.one_of(
    st.just(_drop("From")),
    st.just(_set("From", "")),
    st.just(_drop("Body")),
    st.just(_set("Body", "x" * 1601)),
    st.builds(lambda v: _set("NumMedia", v), st.sampled_from(["", "one", "-1"])),
    st.builds(lambda v: _set("NumSegments", v), st.sampled_from(["", "0", "1.5"])),
    st.just(_drop("NumSegments")),
    st.builds(lambda v: _set("SmsStatus", v), st.sampled_from(["receiving", "RECEIVED", ""])),
    st.builds(lambda v: _set("OptOutType", v), st.sampled_from(["stop", "UNSUBSCRIBE", ""])),
    st.builds(lambda v: _set("MediaUrl0", v), st.sampled_from(["not a url", ""])),
    st.builds(lambda v: _set("MediaContentType0", v), st.sampled_from(["jpeg", ""])),
)


def _repeat_with_other_value(name: str):
    """Send ``name`` (or MessageSid, when the payload has no ``name``) a second time,
    with another value."""

    def apply(form: list[tuple[str, str]]) -> list[tuple[str, str]]:
        present = dict(form)
        field = name if name in present else "MessageSid"
        return [*form, (field, present[field] + "x")]

    return apply


repeats = st.builds(
    _repeat_with_other_value,
    st.sampled_from(["MessageSid", "SmsSid", "MessageStatus", "ErrorCode", "To", "From", "Body"]),
)


@dataclass(frozen=True)
class Transport:
    """How a (valid) payload is sent wrongly."""

    name: str

    def send(self, world: World, url: str, form: list[tuple[str, str]]) -> requests.Response:
        token, target = world.auth_token, wire_url(url)
        if self.name == "wrong token":
            return post_form(url, form, "f" * 32)
        if self.name == "no signature":
            return post_form(url, form, None)
        if self.name == "empty signature":
            return post_form(url, form, None, **{"X-Twilio-Signature": ""})
        if self.name == "tampered":
            signature = compute_signature(target, form, token)
            changed = [(k, v + "1" if k == "To" else v) for k, v in form]
            return post_form(url, changed, None, **{"X-Twilio-Signature": signature})
        if self.name == "signed for another URL":
            other = target.replace("account=acme", "account=other")
            signature = compute_signature(other, form, token)
            return post_form(url, form, None, **{"X-Twilio-Signature": signature})
        if self.name == "json":
            body = json.dumps(dict(form))
            joiner = "&" if urlsplit(target).query else "?"
            signed_url = f"{target}{joiner}bodySHA256={body_sha256(body)}"
            headers = {
                "Content-Type": "application/json",
                "X-Twilio-Signature": compute_signature(signed_url, None, token),
            }
            return requests.post(signed_url, data=body.encode(), headers=headers, timeout=10)
        if self.name == "multipart":
            signature = compute_signature(target, form, token)
            files = [(k, (None, v)) for k, v in form]
            return requests.post(
                target, files=files, headers={"X-Twilio-Signature": signature}, timeout=10
            )
        if self.name in ("text/plain", "text/xml"):
            return post_form(url, form, token, **{"Content-Type": self.name})
        raise AssertionError(self.name)


transports = st.sampled_from(
    [
        Transport(name)
        for name in (
            "wrong token",
            "no signature",
            "empty signature",
            "tampered",
            "signed for another URL",
            "json",
            "multipart",
            "text/plain",
            "text/xml",
        )
    ]
)


def pending_callback(
    sid: str, account_sid: str, status: str, code: str, to: str = HANDSET
) -> list[tuple[str, str]]:
    """A valid callback reporting ``status`` for message ``sid`` (seed field order)."""
    form = [
        ("SmsSid", sid),
        ("SmsStatus", status),
        ("MessageStatus", status),
        ("To", to),
        ("MessageSid", sid),
        ("AccountSid", account_sid),
        ("From", TWILIO_NUMBER),
        ("ApiVersion", "2010-04-01"),
    ]
    if status in FAILURES:
        form.insert(0, ("ErrorCode", code))
    return form


def _about_pending(world: World) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Valid callbacks about the pending campaign message, with a final status: one that
    were accepted would move the campaign's and the provider's numbers."""
    final = st.sampled_from(["delivered", "failed", "undelivered"])
    return st.builds(
        lambda status, code: pending_callback(world.pending_sid, world.account_sid, status, code),
        final,
        error_codes,
    )


def _reply_from_handset() -> st.SearchStrategy[list[tuple[str, str]]]:
    """Valid replies from the campaign's recipient (an accepted one would count a reply)."""
    return incoming_messages(sender=st.just(HANDSET)).map(lambda f: list(f.items()))


def _schema_of(form: list[tuple[str, str]]) -> str:
    return "incoming_message" if dict(form).get("SmsStatus") == "received" else "status_callback"


def assert_refused(world: World, response: requests.Response, before: tuple[Any, ...]) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert world.snapshot() == before, "a refused payload changed the stats or events"


@FUZZ
@given(data=st.data())
def test_schema_invalid_payloads_are_refused_and_change_nothing(world: World, data: Any) -> None:
    before = world.snapshot()
    if data.draw(st.booleans(), label="reply"):
        base = data.draw(_reply_from_handset(), label="valid reply")
        breaker = data.draw(st.one_of(schema_breakers, incoming_breakers), label="breaker")
    else:
        base = data.draw(_about_pending(world), label="valid callback")
        breaker = data.draw(st.one_of(schema_breakers, status_breakers), label="breaker")
    form = breaker(base)
    with pytest.raises(ContractError):
        validate(_schema_of(base), dict(form))  # the generator did break the contract
    response = post_form(world.pending_url, form, world.auth_token)
    assert_refused(world, response, before)


@FUZZ
@given(data=st.data())
def test_repeated_fields_with_different_values_are_refused(world: World, data: Any) -> None:
    before = world.snapshot()
    base = data.draw(st.one_of(_about_pending(world), _reply_from_handset()), label="valid")
    form = data.draw(repeats, label="repeat")(base)
    response = post_form(world.pending_url, form, world.auth_token)
    assert_refused(world, response, before)


@FUZZ
@given(data=st.data())
def test_valid_payloads_sent_the_wrong_way_are_refused(world: World, data: Any) -> None:
    before = world.snapshot()
    form = data.draw(st.one_of(_about_pending(world), _reply_from_handset()), label="valid")
    transport = data.draw(transports, label="transport")
    response = transport.send(world, world.pending_url, form)
    assert_refused(world, response, before)


def test_oversize_fields_are_refused(world: World) -> None:
    # Twilio caps a Body at 1,600 characters; the receiver refuses any field over 6,400
    # characters, even an unknown one the schema would allow, and any request over 2 MB.
    before = world.snapshot()
    callback = pending_callback(world.pending_sid, world.account_sid, "failed", "30005")
    reply = payloads.incoming_message(
        account_sid=world.account_sid,
        message_sid=payloads.new_sid("SM"),
        from_=HANDSET,
        to=TWILIO_NUMBER,
        body="Yes",
    )
    validate("incoming_message", reply)
    for form in (
        [*callback, ("ErrorMessage", "x" * 100_000)],
        [*callback, ("SomeNewField", "y" * 10_000)],
        [*{**reply, "Body": "z" * 1601}.items()],
        [*{**reply, "Body": "z" * 7000}.items()],
    ):
        response = post_form(world.pending_url, form, world.auth_token)
        assert_refused(world, response, before)
    huge = [*{**reply, "Body": "x" * (3 * 1024 * 1024)}.items()]
    response = post_form(world.pending_url, huge, world.auth_token)
    assert_refused(world, response, before)
