"""Producer-side contract checking: everything the simulator emits, validated.

Off by default (it costs a schema validation per response and per webhook). Turned on
by ``SimulatorConfig.validate_contracts`` or ``SMSIM_VALIDATE_CONTRACTS=1`` in the
environment (read when an engine is built, not at import): smsim's own test suite sets
it, so every response and webhook produced anywhere in the suite is checked against
``contracts/schemas``. A violation is logged and kept in the process-wide
:data:`VIOLATIONS` list that the test suite asserts stays empty.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from typing import Any

from smsim.contracts import ContractError, validate
from smsim.simulator.webhooks import AttemptResult, Sender, Webhook

log = logging.getLogger("smsim.contracts")

VIOLATIONS: list[str] = []
_lock = threading.Lock()

_MESSAGE_PATH = re.compile(r"^/2010-04-01/Accounts/[^/]+/Messages/[^/]+\.json$")
_LIST_PATH = re.compile(r"^/2010-04-01/Accounts/[^/]+/Messages\.json$")
# a message's subresources, by path: (method, schema)
_SUBRESOURCE_PATHS = (
    (re.compile(r"^/2010-04-01/Accounts/[^/]+/Messages/[^/]+/Media\.json$"), "GET", "media_list"),
    (re.compile(r"^/2010-04-01/Accounts/[^/]+/Messages/[^/]+/Media/[^/]+\.json$"), "GET", "media"),
    (
        re.compile(r"^/2010-04-01/Accounts/[^/]+/Messages/[^/]+/Feedback\.json$"),
        "POST",
        "message_feedback",
    ),
)


def enabled(flag: bool) -> bool:
    return flag or os.environ.get("SMSIM_VALIDATE_CONTRACTS") == "1"


def record(schema: str, instance: Any, where: str) -> None:
    """Validate ``instance``; remember and log a violation instead of raising."""
    try:
        validate(schema, instance)
    except ContractError as exc:
        message = f"{where}: {exc}"
        with _lock:
            VIOLATIONS.append(message)
        log.error("contract violation: %s", message)


def check_response(method: str, path: str, status: int, body: Any) -> None:
    """Check one Twilio-surface JSON response against its schema."""
    where = f"{method} {path} -> {status}"
    if status >= 400:
        record("error", body, where)
    elif _LIST_PATH.match(path) and method == "GET":
        record("message_list", body, where)
    elif (_LIST_PATH.match(path) and method == "POST") or (
        _MESSAGE_PATH.match(path) and method in {"GET", "POST"}
    ):
        record("message", body, where)
    else:
        for pattern, schema_method, schema in _SUBRESOURCE_PATHS:
            if method == schema_method and pattern.match(path):
                record(schema, body, where)


class CheckingSender:
    """Wraps a :class:`~smsim.simulator.webhooks.Sender`, validating each webhook before it
    goes out."""

    def __init__(self, inner: Sender) -> None:
        self.inner = inner

    def send(self, webhook: Webhook, auth_token: str) -> AttemptResult:
        schema = "status_callback" if webhook.kind == "status" else "incoming_message"
        record(schema, dict(webhook.params), f"{webhook.kind} webhook to {webhook.url}")
        return self.inner.send(webhook, auth_token)
