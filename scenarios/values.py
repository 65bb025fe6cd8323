"""``${...}`` references, faker values and durations.

A string that is exactly one reference (``"${handset}"``) becomes the referenced value
with its type (a list stays a list); references inside text are replaced by their text.
``$${`` writes a literal ``${``. A reference is a dotted path whose first name is a var,
a saved step result or a built-in (``accounts``, ``providers``, ``services``,
``endpoints``, ``client``, ``simulator``), or ``faker.METHOD`` / ``faker.METHOD(args)``.

Faker is seeded per scenario, so the same file gives the same values on every run.
Besides Faker's own methods there are phone numbers fit for SMS stories:
``faker.handset`` and ``faker.handsets(n)`` (E.164 numbers of US area codes in the
fictional 555-01XX range, never one of Twilio's magic test numbers) and
``faker.twilio_number`` (same area codes, 555-2000 to 555-9999).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import phonenumbers
from faker import Faker
from faker.providers import BaseProvider

REFERENCE = re.compile(r"\$\{([^}]*)\}")
_WHOLE = re.compile(r"^\$\{([^}]*)\}$")
_CALL = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\((.*)\)$")
_DURATION = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
# Candidate area codes: no 5XX (500 is Twilio's magic range), no toll-free 8XX, no 9XX,
# no N11 or N9X. Only those phonenumbers places in the US are used (see us_area_codes):
# +1 also covers Canada and the Caribbean, which would change prices and sending rates.
_CANDIDATE_AREA_CODES = [
    n for n in [*range(201, 500), *range(601, 800)] if n % 100 != 11 and (n // 10) % 10 != 9
]


@lru_cache(maxsize=1)
def us_area_codes() -> tuple[str, ...]:
    """Area codes whose 555-01XX numbers phonenumbers places in the US (about 300)."""
    found = []
    for npa in _CANDIDATE_AREA_CODES:
        number = phonenumbers.parse(f"+1{npa}5550100")
        if phonenumbers.region_code_for_number(number) in (None, "US"):
            found.append(str(npa))
    return tuple(found)


class UnresolvedReference(LookupError):
    """A ``${...}`` reference that does not resolve; the message says why."""


class SmsProvider(BaseProvider):
    """Faker methods for SMS stories (repeatable E.164 numbers, never Twilio's magic ones)."""

    def handset(self) -> str:
        """A US mobile-style number in the fictional 555-01XX range."""
        area = self.random_element(us_area_codes())
        return f"+1{area}5550{self.random_int(100, 199):03d}"

    def twilio_number(self) -> str:
        """A number to give a Twilio account: 555-2000..9999 of a US area code.

        A wider range than handsets, because a simulator refuses a number another
        account already has: against a long-running ``smsim serve``, runs with different
        seeds must practically never pick the same one (about 3 million choices).
        """
        area = self.random_element(us_area_codes())
        return f"+1{area}555{self.random_int(2000, 9999):04d}"

    def handsets(self, count: int) -> list[str]:
        """``count`` distinct handset numbers."""
        seen: dict[str, None] = {}
        while len(seen) < count:
            seen.setdefault(self.handset(), None)
        return list(seen)


def make_faker(seed: int) -> Faker:
    """A Faker (en_US) seeded for one scenario, with :class:`SmsProvider`."""
    fake = Faker("en_US")
    fake.add_provider(SmsProvider)
    fake.seed_instance(seed)
    return fake


def duration(value: Any) -> float:
    """Seconds from a number or ``90s`` / ``15m`` / ``2h`` / ``1d`` / ``500ms``."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(str(value).strip())
    if not match:
        raise ValueError(f"not a duration: {value!r} (use seconds, or 90s, 15m, 2h, 1d)")
    return float(match.group(1)) * _UNITS[match.group(2)]


class Context:
    """The names a scenario's references resolve against.

    ``scopes`` are looked up in order (saved step results, vars, built-ins); a scope
    may be a mapping or a callable returning one (built-ins that change as the
    scenario runs, such as the accounts created so far).
    """

    def __init__(self, faker: Faker) -> None:
        self.faker = faker
        self.saved: dict[str, Any] = {}
        self.vars: dict[str, Any] = {}
        self.builtins: dict[str, Callable[[], Any] | Any] = {}

    def names(self) -> list[str]:
        """Every name a reference may start with."""
        return sorted({*self.saved, *self.vars, *self.builtins, "faker"})

    def lookup(self, expression: str) -> Any:
        """The value of one reference (without ``${}``)."""
        expression = expression.strip()
        if expression.startswith("faker."):
            return self._fake(expression[len("faker.") :])
        parts = expression.split(".")
        root = parts[0]
        if root in self.saved:
            value = self.saved[root]
        elif root in self.vars:
            value = self.vars[root]
        elif root in self.builtins:
            value = self.builtins[root]
            value = value() if callable(value) else value
        else:
            raise UnresolvedReference(
                f"${{{expression}}}: {root!r} is not defined (known: {', '.join(self.names())})"
            )
        walked = root
        for part in parts[1:]:
            value = _step_into(value, part, walked, expression)
            walked += f".{part}"
        return value

    def _fake(self, call: str) -> Any:
        match = _CALL.match(call)
        name, raw_args = (match.group(1), match.group(2)) if match else (call, "")
        method = getattr(self.faker, name, None)
        if method is None or name.startswith("_") or not callable(method):
            raise UnresolvedReference(f"${{faker.{call}}}: Faker has no method {name!r}")
        try:
            args = ast.literal_eval(f"({raw_args},)") if raw_args.strip() else ()
        except (ValueError, SyntaxError):
            raise UnresolvedReference(
                f"${{faker.{call}}}: arguments must be literals, e.g. faker.handsets(3)"
            ) from None
        return method(*args)

    def render(self, value: Any) -> Any:
        """``value`` with every reference resolved (mappings and lists deeply)."""
        if isinstance(value, str):
            return self._render_text(value)
        if isinstance(value, Mapping):
            return {self.render(k): self.render(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.render(v) for v in value]
        return value

    def _render_text(self, text: str) -> Any:
        whole = _WHOLE.match(text)
        if whole:
            return self.lookup(whole.group(1))
        if "${" not in text:
            return text
        parts = text.split("$${")
        rendered = [REFERENCE.sub(lambda m: _as_text(self.lookup(m.group(1))), p) for p in parts]
        return "${".join(rendered)


def _step_into(value: Any, part: str, walked: str, expression: str) -> Any:
    if isinstance(value, Mapping):
        if part in value:
            return value[part]
        keys = ", ".join(str(k) for k in value) or "nothing"
        raise UnresolvedReference(f"${{{expression}}}: {walked} has no {part!r} (it has: {keys})")
    if isinstance(value, list | tuple) and part.lstrip("-").isdigit():
        index = int(part)
        if -len(value) <= index < len(value):
            return value[index]
        raise UnresolvedReference(f"${{{expression}}}: {walked} has {len(value)} items")
    raise UnresolvedReference(f"${{{expression}}}: {walked} is {value!r}, which has no {part!r}")


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
