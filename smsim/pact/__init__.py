"""smsim as the provider of your pacts of Twilio (``smsim pact verify``, docs/pact.md).

Twilio verifies nobody's pacts; smsim knows how Twilio answers and what its webhooks
carry, so it replays a consumer's pact of Twilio's REST API on its Twilio surface and
produces the webhooks of a message pact as it really sends them, with pact-python's
verifier (the Rust core) doing the matching.
"""

from __future__ import annotations

from smsim.pact.run import Report, Result, verify
from smsim.pact.sources import PactFileError
from smsim.pact.states import STATES

__all__ = ["STATES", "PactFileError", "Report", "Result", "verify"]
