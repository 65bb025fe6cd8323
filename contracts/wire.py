"""Facts of Twilio's wire format that several parts of smsim check or produce, written
once. The signature header is :data:`smsim.contracts.signature.SIGNATURE_HEADER`.

Sources: docs/fidelity.md, "Segments and encoding" (the Body limit, a number of
characters, not of segments) and "Lifecycle and callbacks" (webhooks are form-encoded
POSTs, as the Messages API's parameters are).
"""

from __future__ import annotations

#: The most characters a message's Body may have: an outgoing one beyond it is refused
#: with 21617; an incoming one is never longer.
MAX_BODY_CHARS = 1600

#: How the Messages API takes its parameters and how Twilio posts its webhooks.
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
