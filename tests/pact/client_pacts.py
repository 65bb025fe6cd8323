"""The bundled client's pacts of Twilio, written by pact-python as a consumer writes them.

Each pact is driven by the client's real code: its :class:`TwilioClient` sends to pact's
mock server (which checks every request against the pact and fails the writer when the
client sends something else), and its callback receiver is fed every message the pact
describes (signed, as Twilio signs it) and must accept it and count it. The files land in
the folder given; ``smsim pact verify`` then checks them against the simulator.

``write_wrong_pact`` writes a pact with two expectations Twilio never meets: a create
answered ``status: "sent"`` and an ``ErrorCode`` sent as a number.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
from pact import Pact, match

from smsim.client import ClientConfig, ClientServer
from smsim.client.twilio_rest import TwilioClient
from smsim.contracts.signature import compute_signature

ACCOUNT_SID = "AC" + "7" * 32
AUTH_TOKEN = "5f" * 16
FROM = "+14155550199"  # the account's own number (not a number smsim seeds)
HANDSET = "+14155550101"
OPTED_OUT = "+14155550102"
FAILING = "+14155550103"
DELIVERED_SID = "SM" + "d" * 32
CONSUMER = "smsim-client"
RECEIVER = "smsim-client-receiver"
PROVIDER = "Twilio"

AN_ACCOUNT = {
    "sid": ACCOUNT_SID,
    "auth_token": AUTH_TOKEN,
    "type": "full",
    "numbers": [FROM],
}
BASIC = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
FORM = "application/x-www-form-urlencoded"
SID = match.regex("SM" + "0" * 32, regex=r"^SM[0-9a-f]{32}$")
CALLBACK = "https://client.example/sms/twilio?account=acme&meta=0.1.1700000000.20231114.0.1"


def _create(interaction: Any, to: str, body: str) -> Any:
    form = urlencode([("To", to), ("Body", body), ("From", FROM), ("StatusCallback", CALLBACK)])
    return (
        interaction.with_request("POST", MESSAGES)
        .with_header("Authorization", BASIC)
        .with_header("Content-Type", FORM)
        .with_body(form, FORM)
    )


def _send(client: TwilioClient, to: str, body: str) -> Any:
    return client.send_message(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        to=to,
        body=body,
        from_=FROM,
        status_callback=CALLBACK,
        retry=False,
    )


def write_sender_pact(folder: Path) -> Path:
    """The client's sends: a create, two refusals, a create that the carrier will fail
    later, and the look-up of a message it sent."""
    pact = Pact(CONSUMER, PROVIDER).with_specification("V4")
    _create(pact.upon_receiving("a message is created"), HANDSET, "Your code is 1234").given(
        "an account", AN_ACCOUNT
    ).will_respond_with(201).with_body(
        {
            "sid": SID,
            "account_sid": ACCOUNT_SID,
            "to": HANDSET,
            "from": FROM,
            "body": "Your code is 1234",
            "status": "queued",
            "error_code": None,
            "num_segments": match.regex("1", regex=r"^\d+$"),
            "date_created": match.str("Tue, 14 Nov 2023 22:13:20 +0000"),
        },
        "application/json",
    )
    invalid = pact.upon_receiving("a send to an invalid number is refused")
    _create(invalid, "+15005550001", "hi").given("an account", AN_ACCOUNT).will_respond_with(
        400
    ).with_body(
        {
            "code": 21211,
            "message": match.str("The 'To' number +15005550001 is not a valid phone number."),
            "more_info": "https://www.twilio.com/docs/errors/21211",
            "status": 400,
        },
        "application/json",
    )
    opted = pact.upon_receiving("a send to a handset that texted STOP is refused")
    _create(opted, OPTED_OUT, "Sale today").given("an account", AN_ACCOUNT).given(
        "an opt-out", {"handset": OPTED_OUT, "number": FROM}
    ).will_respond_with(400).with_body(
        {"code": 21610, "message": match.str("unsubscribed"), "status": 400}, "application/json"
    )
    failing = pact.upon_receiving("a send the carrier will fail is still queued")
    _create(failing, FAILING, "Hello").given("an account", AN_ACCOUNT).given(
        "a rule",
        {"match": {"to": FAILING}, "outcome": {"status": "undelivered", "error_code": 30003}},
    ).will_respond_with(201).with_body(
        {"sid": SID, "status": "queued", "error_code": None}, "application/json"
    )
    (
        pact.upon_receiving("the message it sent is found by its recipient and body")
        .given("an account", AN_ACCOUNT)
        .given(
            "a message",
            {
                "account_sid": ACCOUNT_SID,
                "sid": DELIVERED_SID,
                "to": HANDSET,
                "from": FROM,
                "body": "Your code is 1234",
                "status": "delivered",
            },
        )
        .with_request("GET", MESSAGES)
        .with_header("Authorization", BASIC)
        .with_query_parameters({"To": HANDSET, "PageSize": "50"})
        .will_respond_with(200)
        .with_body(
            {
                "messages": match.each_like(
                    {
                        "sid": DELIVERED_SID,
                        "body": "Your code is 1234",
                        "status": "delivered",
                        "date_created": match.str("Tue, 14 Nov 2023 22:13:20 +0000"),
                    }
                )
            },
            "application/json",
        )
    )
    with pact.serve() as server:
        client = TwilioClient(str(server.url))
        try:
            created = _send(client, HANDSET, "Your code is 1234")
            assert created.ok and created.status == "queued", created
            refused = _send(client, "+15005550001", "hi")
            assert (refused.ok, refused.error_code) == (False, 21211)
            stopped = _send(client, OPTED_OUT, "Sale today")
            assert (stopped.ok, stopped.error_code) == (False, 21610)
            later = _send(client, FAILING, "Hello")
            assert later.ok and later.status == "queued"
            found = client.find_message(
                account_sid=ACCOUNT_SID,
                auth_token=AUTH_TOKEN,
                to=HANDSET,
                body="Your code is 1234",
                since=0,
            )
            assert found == DELIVERED_SID
        finally:
            client.close()
    pact.write_file(folder, overwrite=True)
    return folder / f"{CONSUMER}-{PROVIDER}.json"


SIGNATURE_RE = r"^[A-Za-z0-9+/]{27}=$"  # base64 of an HMAC-SHA1
FAILED_CALLBACK = {
    "SmsSid": "SM" + "1" * 32,
    "SmsStatus": "undelivered",
    "MessageStatus": "undelivered",
    "To": FAILING,
    "MessageSid": "SM" + "1" * 32,
    "AccountSid": ACCOUNT_SID,
    "From": FROM,
    "ApiVersion": "2010-04-01",
    "ErrorCode": "30003",
}
REPLY_URL = "https://client.example/sms/twilio?account=acme"
REPLY = {
    "MessageSid": "SM" + "2" * 32,
    "SmsSid": "SM" + "2" * 32,
    "SmsStatus": "received",
    "Body": "YES",
    "From": HANDSET,
    "To": FROM,
    "AccountSid": ACCOUNT_SID,
    "SmsMessageSid": "SM" + "2" * 32,
    "NumMedia": "0",
    "NumSegments": "1",
    "ApiVersion": "2010-04-01",
    # Twilio always sends the geo fields, often empty (the receiver may do without).
    **dict.fromkeys(("FromCity", "FromState", "FromZip", "FromCountry"), ""),
    **dict.fromkeys(("ToCity", "ToState", "ToZip", "ToCountry"), ""),
}


def _metadata(url: str, fields: dict[str, str]) -> dict[str, Any]:
    """What smsim puts beside a webhook's fields: the request as it was signed. The
    examples are a real signature of the example fields, so the receiver checks it."""
    return {
        "Content-Type": FORM,
        "X-Twilio-Signature": match.regex(
            compute_signature(url, fields, AUTH_TOKEN), regex=SIGNATURE_RE
        ),
        "url": match.regex(url, regex=r"^https?://.+$"),
    }


def _fields(example: dict[str, str], exact: tuple[str, ...]) -> dict[str, Any]:
    """The example's fields: those named in ``exact`` as they are, the others by type."""
    return {k: v if k in exact else match.str(v) for k, v in example.items()}


class Receiver:
    """The client's callback receiver, served as it runs (a memory store), with the
    provider whose token signs the pact's examples."""

    def __init__(self) -> None:
        config = ClientConfig(
            memory=True,
            public_url="https://client.example",
            twilio_base_url="http://127.0.0.1:9",
            account_id="acme",
        )
        self.server = ClientServer(config).start()
        answer = requests.post(
            f"{self.server.url}/api/providers",
            json={
                "nickname": "twilio-main",
                "account_sid": ACCOUNT_SID,
                "auth_token": AUTH_TOKEN,
                "from_numbers": [FROM],
            },
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
        self.provider = answer.json()
        self.answers: list[requests.Response] = []

    def __call__(self, body: str | bytes | None, metadata: dict[str, Any]) -> None:
        """Post the message the way Twilio posts it: the fields as a form, signed."""
        fields = json.loads(body or "{}")
        url = str(metadata["url"])
        path = url.split("client.example", 1)[1]
        answer = requests.post(
            self.server.url + path,
            data=fields,
            headers={"X-Twilio-Signature": str(metadata["X-Twilio-Signature"])},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        self.answers.append(answer)

    def stats(self) -> dict[str, Any]:
        url = f"{self.server.url}/api/providers/{self.provider['id']}/stats"
        stats: dict[str, Any] = requests.get(url, timeout=10).json()
        return stats

    def stop(self) -> None:
        self.server.stop()


def write_receiver_pact(folder: Path) -> Path:
    """The client's receiver: a failed status callback and a reply."""
    pact = Pact(RECEIVER, PROVIDER).with_specification("V4")
    (
        pact.upon_receiving("a status callback says the carrier failed the message", "Async")
        .given("an account", AN_ACCOUNT)
        .given(
            "a status callback",
            {
                "status": "undelivered",
                "error_code": "30003",
                "account_sid": ACCOUNT_SID,
                "to": FAILING,
                "from": FROM,
            },
        )
        .with_body(
            _fields(FAILED_CALLBACK, ("MessageStatus", "AccountSid", "To", "ErrorCode")),
            "application/json",
        )
        .with_metadata(_metadata(CALLBACK, FAILED_CALLBACK))
    )
    (
        pact.upon_receiving("a handset replies to the number", "Async")
        .given("an account", AN_ACCOUNT)
        .given("an inbound message", {"from": HANDSET, "to": FROM, "body": "YES"})
        .with_body(_fields(REPLY, ("Body", "From", "To", "SmsStatus")), "application/json")
        .with_metadata(_metadata(REPLY_URL, REPLY))
    )
    receiver = Receiver()
    try:
        pact.verify(receiver, "Async")
        assert len(receiver.answers) == 2
        stats = receiver.stats()
        assert stats["failed"] == 1, stats
    finally:
        receiver.stop()
    pact.write_file(folder, overwrite=True)
    return folder / f"{RECEIVER}-{PROVIDER}.json"


def write_wrong_pact(folder: Path) -> list[Path]:
    """A consumer that expects what Twilio never does; its own mocks agree with it."""
    sender = Pact("wrong-app", PROVIDER).with_specification("V4")
    _create(sender.upon_receiving("a message is created"), HANDSET, "hi").given(
        "an account", AN_ACCOUNT
    ).will_respond_with(201).with_body({"sid": SID, "status": "sent"}, "application/json")
    with sender.serve() as server:
        client = TwilioClient(str(server.url))
        try:
            assert _send(client, HANDSET, "hi").status == "sent"
        finally:
            client.close()
    sender.write_file(folder, overwrite=True)
    receiver = Pact("wrong-app-receiver", PROVIDER).with_specification("V4")
    (
        receiver.upon_receiving("a failed status callback", "Async")
        .given("a status callback", {"status": "undelivered", "error_code": 30003})
        .with_body(
            {"MessageStatus": "undelivered", "ErrorCode": match.int(30003)}, "application/json"
        )
    )
    seen: list[Any] = []
    receiver.verify(lambda body, metadata: seen.append(json.loads(body or "{}")), "Async")
    assert seen == [{"MessageStatus": "undelivered", "ErrorCode": 30003}]
    receiver.write_file(folder, overwrite=True)
    return [folder / "wrong-app-Twilio.json", folder / "wrong-app-receiver-Twilio.json"]
