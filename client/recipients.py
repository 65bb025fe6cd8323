"""Recipients as a person gives them: pasted lines or a CSV export, read line by line.

One set of rules for the dashboard's form (``recipients.js`` mirrors it) and for
``smsim client campaign``, so both name the same lines:

* each non-empty line (a CSV row) is split into cells at ``,`` ``;`` and tabs;
* a cell is a phone number when, without spaces, dots, dashes and brackets, it is 6 to 15
  digits after an optional ``+`` (``+`` is added when missing);
* every phone number of a line is a recipient; its other cells are other CSV columns
  (a name, a note);
* a line with no phone number is invalid as a whole (``not-a-number``, ``12``), except the
  first line when it has no digit at all: that is a CSV header (``name,phone``), reported
  as such.

Nothing is dropped silently: every invalid cell or line comes back with its line number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SPLIT_LINES = re.compile(r"\r\n|\r|\n")
_SPLIT_CELLS = re.compile(r"[,;\t]")
_FORMATTING = re.compile(r"[\s().-]")
_PHONE = re.compile(r"^\+?[0-9]{6,15}$")
_DIGIT = re.compile(r"[0-9]")


@dataclass(frozen=True)
class Invalid:
    """A line that holds no phone number."""

    line: int
    value: str

    def describe(self) -> str:
        return f"line {self.line}: {self.value!r} is not a phone number"


@dataclass
class ParsedRecipients:
    numbers: list[str] = field(default_factory=list)
    invalid: list[Invalid] = field(default_factory=list)
    #: the first line when it was read as a CSV header (it has no digit)
    header: str | None = None


def _cell(raw: str) -> str:
    return raw.strip().strip('"').strip()


def phone_of(cell: str) -> str | None:
    """The E.164 spelling of a cell that is a phone number, else None."""
    value = _FORMATTING.sub("", cell)
    if not _PHONE.match(value):
        return None
    return value if value.startswith("+") else "+" + value


def parse(text: str) -> ParsedRecipients:
    """Every phone number in ``text`` in order, and every line that holds none."""
    out = ParsedRecipients()
    first = True
    for number, line in enumerate(_SPLIT_LINES.split(text), start=1):
        if not line.strip():
            continue
        cells = [c for c in (_cell(raw) for raw in _SPLIT_CELLS.split(line)) if c]
        if not cells:
            continue
        found = [p for p in (phone_of(c) for c in cells) if p]
        if found:
            out.numbers.extend(found)
        elif first and not _DIGIT.search(line):
            out.header = line.strip()
        else:
            out.invalid.append(Invalid(number, line.strip()))
        first = False
    return out
