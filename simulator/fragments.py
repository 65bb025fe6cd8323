"""Twilio's webhook connection overrides: URL fragments such as ``#ct=1000&rc=3&rp=all``.

Source: Twilio's "Webhooks connection overrides" doc (fidelity.md: Lifecycle and callbacks). The
fragment is never sent on the wire. Ranges and defaults below are the documented ones as best known
(Twilio's page does not state them); out-of-range values are clamped, unknown keys ignored.

Defaults reproduce Twilio's stated behaviour for a plain URL: a 5 s connect timeout tried
twice ("two 5-second attempts"), 15 s to read the response, no retry on an HTTP error.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urldefrag

RETRY_POLICIES = frozenset({"4xx", "5xx", "rt", "ct", "all"})


@dataclass(frozen=True)
class Overrides:
    connect_timeout: float = 5.0  # ct, seconds (fragment gives ms)
    read_timeout: float = 15.0  # rt
    total_timeout: float = 15.0  # tt
    retry_count: int = 1  # rc
    retry_policy: frozenset[str] = frozenset({"ct"})  # rp

    def retries_on(self, failure: str) -> bool:
        """``failure`` is ``ct`` (connect), ``rt`` (read timeout), ``4xx`` or ``5xx``."""
        return "all" in self.retry_policy or failure in self.retry_policy


def split(url: str) -> tuple[str, Overrides]:
    """The URL to request (fragment removed) and the overrides the fragment asked for."""
    base, fragment = urldefrag(url)
    if not fragment:
        return base, Overrides()
    values = dict(parse_qsl(fragment, keep_blank_values=True))
    defaults = Overrides()
    policy = defaults.retry_policy
    if "rp" in values:
        parts = frozenset(p.strip() for p in values["rp"].split(",")) & RETRY_POLICIES
        policy = parts or policy
    retries = _clamped(values.get("rc"), 0, 5)
    return base, Overrides(
        connect_timeout=_ms(values.get("ct"), 100, 10000, defaults.connect_timeout),
        read_timeout=_ms(values.get("rt"), 100, 15000, defaults.read_timeout),
        total_timeout=_ms(values.get("tt"), 100, 15000, defaults.total_timeout),
        retry_count=defaults.retry_count if retries is None else retries,
        retry_policy=policy,
    )


def _ms(raw: str | None, low: int, high: int, default: float) -> float:
    value = _clamped(raw, low, high)
    return default if value is None else value / 1000.0


def _clamped(raw: str | None, low: int, high: int) -> int | None:
    """``raw`` as an integer clamped to [low, high]; None when absent or not a number."""
    if raw is None:
        return None
    try:
        return min(max(int(raw), low), high)
    except ValueError:
        return None
