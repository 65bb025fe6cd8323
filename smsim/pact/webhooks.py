"""Message interactions: the webhooks smsim sends, captured as it sends them.

A message pact describes what the app receives from Twilio. smsim does not build a
payload for it: it sends a real message (or a handset texts a real number) on the
simulator, lets the lifecycle run, and catches the signed webhook on a local receiver.
The pact message is that request: the form fields as a JSON object of strings, and in
its metadata the ``Content-Type`` it came with, the original ``form`` body, the ``url``
it was signed for and its ``X-Twilio-Signature`` (docs/pact.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from pact.types import Message

from smsim.contracts.signature import SIGNATURE_HEADER
from smsim.pact.provider import Provider
from smsim.simulator import phone
from smsim.testing import RecordedRequest

DEFAULT_TO = "+14155550100"
DEFAULT_FROM = "+15005550006"  # Twilio's test number that is a valid From


@dataclass(frozen=True)
class CapturedWebhook:
    """One webhook request as smsim sent it."""

    url: str
    method: str
    content_type: str
    form_body: str
    fields: dict[str, str]
    signature: str

    def as_pact_message(self) -> Message:
        """pact-python's ``Message``: JSON contents and the request in the metadata."""
        return Message(
            contents=json.dumps(self.fields).encode("utf-8"),
            content_type="application/json",
            metadata={
                "Content-Type": self.content_type,
                SIGNATURE_HEADER: self.signature,
                "url": self.url,
                "form": self.form_body,
                "method": self.method,
            },
        )


def _capture(request: RecordedRequest, url: str) -> CapturedWebhook:
    return CapturedWebhook(
        url=url,
        method=request.method,
        content_type=request.headers.get("Content-Type", ""),
        form_body=request.body.decode("utf-8") or urlencode(request.form),
        fields=dict(request.form),
        signature=request.headers.get(SIGNATURE_HEADER, ""),
    )


def _sending_account(provider: Provider, sid: str | None) -> dict[str, Any]:
    if sid is None:
        return provider.put_account({})
    found = provider.account(sid)
    return found if found is not None else provider.put_account({"sid": sid})


def _sender(provider: Provider, account: dict[str, Any], wanted: str | None) -> dict[str, Any]:
    """The number to send from, as the account JSON lists it: ``wanted`` (added to the
    account when it lacks it), else the account's first number, else Twilio's magic
    ``+15005550006`` (not owned: ``sid`` None)."""
    numbers: list[dict[str, Any]] = account.get("numbers") or []
    if wanted is None:
        return numbers[0] if numbers else {"phone_number": DEFAULT_FROM, "sid": None}
    wanted = phone.normalize(wanted) or wanted
    for number in numbers:
        if number["phone_number"] == wanted:
            return number
    return _add_number(provider, account, wanted)


def _add_number(provider: Provider, account: dict[str, Any], number: str) -> dict[str, Any]:
    added: dict[str, Any] = provider.control(
        "POST", f"/accounts/{account['sid']}/numbers", {"phone_number": number}
    )
    return {"phone_number": added.get("phone_number", number), "sid": added.get("sid")}


def status_callback(
    provider: Provider, params: Mapping[str, Any], code: int | None
) -> CapturedWebhook:
    """Send a message that ends in ``params["status"]`` and catch that status callback."""
    status = str(params["status"])
    account = _sending_account(provider, params.get("account_sid"))
    sender = _sender(provider, account, params.get("from"))
    raw_to = str(params.get("to") or DEFAULT_TO)
    to = phone.normalize(raw_to) or raw_to  # as the rule compares it
    url = provider.webhook_url("status")
    body = f"smsim pact {url.rsplit('/', 1)[-1]}"
    outcome: dict[str, Any] = {"status": status}
    if code is not None:
        outcome["error_code"] = code
    provider.control(
        "POST",
        "/rules",
        {"match": {"to": to, "body_contains": body}, "outcome": outcome, "count": 1},
    )
    form = [("To", to), ("Body", body), ("StatusCallback", url)]
    if params.get("messaging_service_sid") is not None:
        form.append(("MessagingServiceSid", _service(provider, account, sender)))
    else:
        form.append(("From", sender["phone_number"]))
    base = f"/2010-04-01/Accounts/{account['sid']}/Messages.json"
    provider.twilio("POST", base, (account["sid"], account["auth_token"]), form)
    provider.run_until_idle()
    request = provider.wait_for_webhook(url, f"{status} status callback", MessageStatus=status)
    return _capture(request, url)


def _service(provider: Provider, account: dict[str, Any], sender: dict[str, Any]) -> str:
    """A new Messaging Service with the sender in its pool (through the Messaging API)."""
    auth = (account["sid"], account["auth_token"])
    if sender.get("sid") is None:  # a service pools numbers the account owns
        sender = _add_number(provider, account, sender["phone_number"])
    service = provider.twilio("POST", "/v1/Services", auth, [("FriendlyName", "smsim pact")])
    provider.twilio(
        "POST",
        f"/v1/Services/{service['sid']}/PhoneNumbers",
        auth,
        [("PhoneNumberSid", sender["sid"])],
    )
    return str(service["sid"])


def inbound_message(provider: Provider, params: Mapping[str, Any]) -> CapturedWebhook:
    """A handset texts the number; catch the webhook smsim sends to its SMS URL."""
    to = phone.normalize(str(params["to"])) or str(params["to"])
    handset = str(params["from"])
    url = provider.webhook_url("inbound")
    owner = next(
        (
            (account, number)
            for account in provider.control("GET", "/accounts")["accounts"]
            for number in account.get("numbers") or []
            if number["phone_number"] == to
        ),
        None,
    )
    if owner is None:
        provider.put_account({"numbers": [{"phone_number": to, "sms_url": url}]})
    else:
        account, number = owner
        provider.control(
            "POST",
            f"/accounts/{account['sid']}/numbers/{number['sid']}",
            {"sms_url": url, "sms_method": "POST"},
        )
    body: dict[str, Any] = {"from": handset, "to": to, "body": params["body"]}
    if params.get("media_urls"):
        body["media_urls"] = params["media_urls"]
    provider.control("POST", "/inbound", body)
    provider.run_until_idle()
    return _capture(provider.wait_for_webhook(url, "inbound message webhook"), url)
