"""A webhook sender for fuzzing: generated callback URLs must never leave this machine."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from smsim.simulator import fragments
from smsim.simulator.webhooks import AttemptResult, Webhook

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class LoopbackOnly:
    """Stands in front of the simulator's webhook sender: a URL not on 127.0.0.1 is
    answered as a refused connection without touching the network."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def send(self, webhook: Webhook, auth_token: str) -> AttemptResult:
        url, overrides = fragments.split(webhook.url)
        try:
            host = urlsplit(url).hostname
        except ValueError:
            host = None
        if host in LOOPBACK:
            return self.inner.send(webhook, auth_token)
        return AttemptResult(url, {}, None, "", "", "blocked by the test", "ct", 0.0, overrides)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
