"""Inbound messages and opt-out keywords (fidelity.md: Inbound and opt-out; Messaging
Services).

A handset texts a Twilio number (``Inbound.receive``): smsim stores an ``inbound``
message with status ``received`` and sends the incoming-message webhook, signed, to the
number's SmsUrl or, for a number in a Messaging Service, to the service's
``inbound_request_url`` (unless the service sets ``use_inbound_webhook_on_number``). The
receiver's TwiML answer (``smsim.simulator.twiml``) becomes ``outbound-reply`` messages
that follow the normal delivery lifecycle. STOP/START/HELP keywords block or unblock the
handset and get Twilio's auto-reply; ``delivery`` checks the blocks on every send.

smsim's choices where Twilio is silent or uncertain:

- A service whose ``inbound_request_url`` is null "disables receiving": no message is
  stored and no webhook is sent (fidelity.md: Messaging Services). Opt-out keywords still take
  effect, with their auto-reply, because Twilio says the block works without any webhook
  (fidelity.md: Inbound and opt-out).
- ``OptOutType`` is sent for every recognised keyword, not only with Advanced Opt-Out
  (uncertain, fidelity.md: Inbound and opt-out).
- STOP on a number in a service blocks the handset for the whole service (scope = the
  service SID); otherwise for that number. START/YES/UNSTOP lift both scopes.
- Auto-replies come from Twilio, not the account: they skip opt-out and trial checks (the
  STOP reply goes to a handset that has just opted out), carry no trial prefix, and cost
  nothing: their price is ``"0.00000"`` once sent (Twilio: "no charge", fidelity.md: Inbound and
  opt-out).
- ``lost_segment`` simulates a multipart message whose segment never arrived (30009):
  the message is stored with error 30009 and the catalogue's terminal status for it, the
  body as the handset sent it, and no webhook and no keyword handling (Twilio never
  assembled it). It needs a multipart message (``num_segments`` > 1).
- Media URLs are passed through as ``MediaUrl{N}`` (Twilio would host copies); the
  content type is guessed from the URL's extension, ``application/octet-stream`` if not,
  and each becomes a Media resource of the inbound message, as for a send.
- The inbound message's price stays null (Twilio's inbound pricing is not modelled).
- A TwiML reply is created like an API send (trial prefix, 21608, 21610, 21611 all
  apply, so replying to a STOP is refused with 21610); a refusal is written to the
  webhook attempt's ``error`` field. Relative ``statusCallback`` and ``<Media>`` URLs are
  resolved against the webhook URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from smsim.contracts import catalogue, payloads, segments
from smsim.contracts.wire import MAX_BODY_CHARS
from smsim.simulator import optout_keywords, phone, twiml
from smsim.simulator.accounts import Accounts
from smsim.simulator.clock import Clock
from smsim.simulator.delivery import Delivery
from smsim.simulator.dispatch import WEBHOOK
from smsim.simulator.errors import TwilioError, twilio_error
from smsim.simulator.media_urls import MAX_MEDIA, content_type_of, media_url_problem
from smsim.simulator.messages import (
    DEFAULT_VALIDITY_PERIOD,
    CreateRequest,
    Messages,
    valid_callback_url,
)
from smsim.simulator.models import Message, PhoneNumber, new_message
from smsim.simulator.optouts import OptOuts
from smsim.simulator.scheduler import Scheduler
from smsim.simulator.services import Services
from smsim.simulator.store_api import Store
from smsim.simulator.webhooks import AttemptLog, AttemptResult, Webhook

AUTO_REPLY_PRICE = "0.00000"
RETRIEVAL_FAILURE = "11200 HTTP retrieval failure"
AUTO_REPLIES: dict[str, str] = {
    "STOP": optout_keywords.STOP_REPLY,
    "START": optout_keywords.START_REPLY,
    "HELP": optout_keywords.HELP_REPLY,
}


@dataclass(frozen=True)
class InboundRequest:
    """``POST /_smsim/inbound``, parsed: a handset ``from_`` texts Twilio number ``to``."""

    from_: str
    to: str
    body: str
    num_segments: int | None = None
    lost_segment: bool = False
    media_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    """Where the incoming-message webhook goes, or why it does not."""

    url: str | None
    method: str
    service_sid: str | None
    received: bool  # False: the service has receiving disabled (fidelity.md: Messaging Services)
    reason: str | None = None  # why no webhook is sent


@dataclass
class InboundResult:
    """What one inbound text did."""

    message: Message | None
    route: Route
    keyword: str | None
    auto_reply: Message | None
    webhook_queued: bool


class Inbound:
    """Inbound messages and opt-out over one engine."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        accounts: Accounts,
        messages: Messages,
        delivery: Delivery,
        services: Services,
        optouts: OptOuts,
        scheduler: Scheduler,
        attempts: AttemptLog,
    ) -> None:
        self.store = store  # for transactions only: the tables belong to the repositories
        self.clock = clock
        self.accounts = accounts
        self.messages = messages
        self.delivery = delivery
        self.services = services
        self.optouts = optouts
        self.scheduler = scheduler
        self.attempts = attempts

    # -- receiving ------------------------------------------------------------------------

    def receive(self, request: InboundRequest) -> InboundResult:
        """Store the inbound message, handle keywords, queue the webhook (one transaction).

        Raises 400s for bad numbers or bodies and a 404 when no account owns ``to``.
        """
        to = phone.normalize(request.to)
        if to is None:
            raise twilio_error(21211, to=request.to)
        handset = phone.normalize(request.from_)
        if handset is None:
            raise TwilioError(
                20001, 400, f"The 'from' handset {request.from_} is not a valid phone number."
            )
        number = self.accounts.number_by_phone(to)
        if number is None:
            raise TwilioError(
                20404,
                404,
                f"The number {to} is not a Twilio number of any account: give it to an"
                " account with POST /_smsim/accounts or /_smsim/accounts/{sid}/numbers",
            )
        if len(request.body) > MAX_BODY_CHARS:
            raise twilio_error(21617)
        if len(request.media_urls) > MAX_MEDIA:
            raise TwilioError(20001, 400, f"media_urls: at most {MAX_MEDIA} media per message")
        for index, url in enumerate(request.media_urls):
            problem = media_url_problem(url)
            if problem is not None:
                raise TwilioError(20001, 400, f"media_urls[{index}]: {problem} ({url})")
        info = segments.analyze(request.body)
        num_segments = request.num_segments or max(1, info.num_segments)
        if request.lost_segment and num_segments < 2:
            raise TwilioError(
                20001,
                400,
                "lost_segment needs a multipart message: send a longer body or num_segments > 1",
            )
        route = self.route_for(number)
        keyword = None if request.lost_segment else optout_keywords.classify(request.body)
        with self.store.transaction():
            message = None
            if route.received:
                message = self._store_inbound(request, number, handset, num_segments, route)
            auto_reply = None
            if keyword is not None:
                self._apply_keyword(keyword, number, handset, route.service_sid)
                auto_reply = self._auto_reply(keyword, number, handset, route, message)
            queued = False
            if message is not None and route.url and not request.lost_segment:
                params = webhook_params(message, keyword, _media(request.media_urls))
                self.delivery.queue_webhook(
                    Webhook(
                        kind="inbound",
                        url=route.url,
                        method=route.method,
                        params=params,
                        account_sid=message.account_sid,
                        message_sid=message.sid,
                    )
                )
                queued = True
        return InboundResult(message, route, keyword, auto_reply, queued)

    def route_for(self, number: PhoneNumber) -> Route:
        """The webhook target of ``number`` (fidelity.md: Messaging Services for numbers in a
        service)."""
        own = _number_route(number, number.messaging_service_sid)
        if not number.messaging_service_sid:
            return own
        service = self.services.find(number.messaging_service_sid)
        if service is None:  # the service is gone: the number answers on its own
            return _number_route(number, None)
        if _truthy(service["use_inbound_webhook_on_number"]):
            return own
        url = service["inbound_request_url"]
        if not url:
            return Route(
                None,
                "POST",
                number.messaging_service_sid,
                received=False,
                reason=f"Messaging Service {number.messaging_service_sid} has no"
                " inbound_request_url: receiving is disabled, the message is neither"
                " stored nor sent to a webhook",
            )
        method = str(service["inbound_method"] or "POST").upper()
        return Route(
            str(url),
            method if method in {"GET", "POST"} else "POST",
            number.messaging_service_sid,
            True,
        )

    def _store_inbound(
        self,
        request: InboundRequest,
        number: PhoneNumber,
        handset: str,
        num_segments: int,
        route: Route,
    ) -> Message:
        now = self.clock.now()
        status, code, text = "received", None, None
        if request.lost_segment:
            entry = catalogue.require(30009)
            status, code, text = entry.terminal_status or "undelivered", 30009, entry.error_message
        message = new_message(
            account_sid=number.account_sid,
            direction="inbound",
            from_number=handset,
            to_number=number.phone_number,
            body=request.body,
            status=status,
            num_segments=num_segments,
            now=now,
            media_urls=request.media_urls,
            error_code=code,
            error_message=text,
            messaging_service_sid=route.service_sid,
            # For inbound messages date_sent is when Twilio called the webhook (fidelity.md:
            # Messages API).
            date_sent=now,
            segments=num_segments,
        )
        self.messages.insert(message)
        return message

    # -- opt-out --------------------------------------------------------------------------

    def _apply_keyword(
        self, keyword: str, number: PhoneNumber, handset: str, service_sid: str | None
    ) -> None:
        if keyword == "STOP":
            scope = service_sid or number.phone_number
            self.optouts.block(number.account_sid, scope, handset, self.clock.now())
        elif keyword == "START":
            scopes = [s for s in (number.phone_number, service_sid) if s]
            self.optouts.unblock(number.account_sid, handset, scopes)

    def _auto_reply(
        self,
        keyword: str,
        number: PhoneNumber,
        handset: str,
        route: Route,
        inbound: Message | None,
    ) -> Message | None:
        """Twilio's own reply to a keyword: free, no prefix, no opt-out check (fidelity.md: Inbound
        and opt-out)."""
        body = AUTO_REPLIES[keyword]
        info = segments.analyze(body)
        now = self.clock.now()
        message = new_message(
            account_sid=number.account_sid,
            direction="outbound-reply",
            from_number=number.phone_number,
            to_number=handset,
            body=info.body,
            status="queued",
            num_segments=info.num_segments,
            now=now,
            messaging_service_sid=route.service_sid,
            segments=info.num_segments,
            encoding=info.encoding,
            validity_period=DEFAULT_VALIDITY_PERIOD,
            fixed_price=AUTO_REPLY_PRICE,
            auto_reply=keyword,
            in_reply_to=inbound.sid if inbound else None,
        )
        request = CreateRequest.from_form(
            {"To": handset, "From": number.phone_number, "Body": body}, []
        )
        try:
            self.delivery.start(message, request, None)
        except TwilioError:  # the sender's queue is full (21611): no auto-reply
            return None
        self.messages.insert(message)
        return message

    # -- the receiver's answer ------------------------------------------------------------

    def handle_response(self, webhook: Webhook, result: AttemptResult) -> None:
        """Turn the receiver's TwiML into replies; note problems in the attempt's error."""
        if webhook.kind != "inbound":
            return
        if not result.ok:
            result.error = f"{RETRIEVAL_FAILURE}: {result.error or 'no response'}"
            return
        try:
            response = twiml.interpret(result.body, result.content_type)
        except twiml.TwimlError as exc:
            result.error = f"{RETRIEVAL_FAILURE}: {exc}"
            return
        notes = list(response.warnings)
        inbound = self.messages.find(webhook.message_sid or "")
        if inbound is not None:
            for reply in response.messages:
                try:
                    self._send_reply(inbound, reply, webhook.url)
                except TwilioError as exc:
                    notes.append(f"{exc.code} {exc.message} (TwiML reply not sent)")
        if notes:
            result.error = "; ".join(notes)

    def _send_reply(self, inbound: Message, reply: twiml.ReplyMessage, base_url: str) -> Message:
        """One ``<Message>``: an ``outbound-reply`` send from the Twilio number."""
        account = self.accounts.get(inbound.account_sid)
        if account is None:
            raise TwilioError(20404, 404, f"Account {inbound.account_sid} no longer exists")
        callback = None
        if reply.status_callback:
            callback = urljoin(base_url.split("#", 1)[0], reply.status_callback)
            if not valid_callback_url(callback):
                raise TwilioError(
                    21609, 400, f"The statusCallback URL {reply.status_callback} is not valid."
                )
        request = CreateRequest.from_form(
            {
                "To": reply.to or inbound.from_number or "",
                "From": reply.from_ or inbound.to_number,
                "Body": reply.body,
                "StatusCallback": callback or "",
            },
            # relative <Media> URLs too are resolved against the webhook URL
            [urljoin(base_url.split("#", 1)[0], url) for url in reply.media_urls],
        )
        with self.store.transaction():
            message = self.messages.create(account, request)
            service_sid = self.services.service_sid_of_number(message.from_number or "")
            return self.messages.mark_reply(message, inbound.sid, service_sid)

    # -- reading back ---------------------------------------------------------------------

    def replies(self, inbound_sid: str) -> list[Message]:
        """Messages sent in reply to ``inbound_sid`` (auto-reply and TwiML), oldest first."""
        return self.messages.replies_to(inbound_sid)

    def webhook_outcome(self, result: InboundResult) -> dict[str, Any]:
        """The webhook's fate so far: ``not_sent``, ``queued``, ``delivered``, ``retrying``
        or ``failed``, with the last attempt's status code and error."""
        outcome: dict[str, Any] = {
            "url": result.route.url,
            "method": result.route.method,
            "status": "not_sent",
            "reason": result.route.reason,
            "status_code": None,
            "error": None,
            "attempts": 0,
        }
        if result.message is None or not result.webhook_queued:
            if result.message is not None and result.message.error_code == 30009:
                outcome["reason"] = "a segment was lost (30009): the message was never assembled"
            return outcome
        attempts = self.attempts.query(message_sid=result.message.sid, kind="inbound")
        if not attempts:
            return {**outcome, "status": "queued", "reason": None}
        last = attempts[-1]
        code = last["status_code"]
        if code is not None and 200 <= code < 300:
            status = "delivered"
        elif self.scheduler.has_pending(result.message.sid, WEBHOOK):
            status = "retrying"
        else:
            status = "failed"
        return {
            **outcome,
            "url": last["url"],
            "status": status,
            "reason": None,
            "status_code": code,
            "error": last["error"],
            "attempts": len(attempts),
        }


def webhook_params(
    message: Message, keyword: str | None, media: Sequence[tuple[str, str]] = ()
) -> list[tuple[str, str]]:
    """The incoming-message form (built by ``contracts.payloads``), with the geo fields
    smsim knows for both numbers."""
    geo: dict[str, str] = {}
    for side, number in (("To", message.to_number), ("From", message.from_number or "")):
        for name, value in phone.geo_fields(number).items():
            geo[side + name] = value
    form = payloads.incoming_message(
        account_sid=message.account_sid,
        message_sid=message.sid,
        from_=message.from_number or "",
        to=message.to_number,
        body=message.body,
        messaging_service_sid=message.messaging_service_sid,
        media=media,
        geo=geo,
        opt_out_type=keyword,
        num_segments=message.num_segments,
    )
    return list(form.items())


def _number_route(number: PhoneNumber, service_sid: str | None) -> Route:
    if not number.sms_url:
        return Route(None, number.sms_method, service_sid, True, "the number has no SmsUrl")
    return Route(number.sms_url, number.sms_method.upper(), service_sid, True)


def _media(urls: Sequence[str]) -> list[tuple[str, str]]:
    """``(url, content type)`` pairs; the type guessed as for the message's Media
    resources (:func:`~smsim.simulator.media_urls.content_type_of`)."""
    return [(url, content_type_of(url)) for url in urls]


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in {"true", "1", "yes"}
