"""Reading the TwiML a receiver returns to an incoming-message webhook (fidelity.md: Inbound and
opt-out).

Pure: text in, reply descriptions out. What the receiver's answer means:

- ``<Response/>`` (or ``<Response></Response>``): no reply.
- ``<Message>text</Message>`` or ``<Message><Body>text</Body><Media>url</Media></Message>``,
  possibly several, each with optional ``to``, ``from`` and ``statusCallback`` (or the older
  ``action``) attributes: one reply per ``<Message>``.
- An empty body with a Content-Type: no reply (Twilio requires no content).
- Anything else is unusable: :class:`TwimlError` says why, and the caller logs it as
  11200 "HTTP retrieval failure". Twilio itself has finer codes (12100 document parse
  failure, 12300 invalid Content-Type, 11750 body over 64 kB); smsim reports them all as
  11200 with the reason, because only 11200 is in the shared catalogue.

smsim's readings where Twilio does not say: text is stripped of surrounding whitespace
(pretty-printed TwiML is common); a ``<Message>`` with neither body nor media is skipped
with a warning; verbs other than ``<Message>`` (``<Redirect>``) are skipped with a
warning; a non-empty body is read as XML whatever its Content-Type says (Flask apps
often serve TwiML as ``text/html``), but a body with no Content-Type at all is refused.
DOCTYPE and ENTITY declarations are refused: a receiver's answer is untrusted input.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

__all__ = ["MAX_RESPONSE_BYTES", "ReplyMessage", "TwimlError", "TwimlResponse", "interpret"]

# Twilio refuses TwiML responses over 64 kB (error 11750, fidelity.md: Inbound and opt-out).
MAX_RESPONSE_BYTES = 64 * 1024


class TwimlError(ValueError):
    """Why a webhook response is not usable TwiML (the reason for a logged 11200)."""


@dataclass(frozen=True)
class ReplyMessage:
    """One ``<Message>`` verb: a reply to send (``to``/``from_`` None = the defaults)."""

    body: str
    media_urls: tuple[str, ...] = ()
    to: str | None = None
    from_: str | None = None
    status_callback: str | None = None


@dataclass(frozen=True)
class TwimlResponse:
    """A usable response: the replies to send and what was ignored (for the log)."""

    messages: tuple[ReplyMessage, ...] = ()
    warnings: tuple[str, ...] = ()


def interpret(body: str, content_type: str) -> TwimlResponse:
    """What a 2xx answer to an incoming-message webhook asks for; TwimlError if unusable."""
    if len(body.encode("utf-8")) > MAX_RESPONSE_BYTES:
        raise TwimlError("response body is larger than 64 kB")
    text = body.strip()
    if not content_type.strip():
        if not text:
            raise TwimlError("empty response without a Content-Type")
        raise TwimlError("response has no Content-Type")
    if not text:
        return TwimlResponse()
    return parse(text)


def parse(text: str) -> TwimlResponse:
    """Parse a TwiML document whose root must be ``<Response>``."""
    upper = text.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        raise TwimlError("DOCTYPE and ENTITY declarations are not allowed in TwiML")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise TwimlError(f"response is not valid XML ({exc})") from None
    if root.tag != "Response":
        raise TwimlError(f"root element is <{root.tag}>, not <Response>")
    messages: list[ReplyMessage] = []
    warnings: list[str] = []
    for verb in root:
        if verb.tag != "Message":
            warnings.append(f"<{verb.tag}> is not supported and was ignored")
            continue
        reply = _message(verb)
        if reply is None:
            warnings.append("<Message> without a body or media was ignored")
        else:
            messages.append(reply)
    return TwimlResponse(tuple(messages), tuple(warnings))


def _message(verb: ET.Element) -> ReplyMessage | None:
    bodies = [child for child in verb if child.tag == "Body"]
    media = tuple(
        (child.text or "").strip()
        for child in verb
        if child.tag == "Media" and (child.text or "").strip()
    )
    if bodies:
        body = "".join(child.text or "" for child in bodies)
    else:  # text form; tails keep text written after a nested <Media>
        body = (verb.text or "") + "".join(child.tail or "" for child in verb)
    body = body.strip()
    if not body and not media:
        return None
    return ReplyMessage(
        body=body,
        media_urls=media,
        to=_attr(verb, "to"),
        from_=_attr(verb, "from"),
        status_callback=_attr(verb, "statusCallback") or _attr(verb, "action"),
    )


def _attr(element: ET.Element, name: str) -> str | None:
    value = (element.get(name) or "").strip()
    return value or None
