"""URL pieces both apps route by: ``<rowid:name>``, the id of a stored row."""

from __future__ import annotations

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import BaseConverter, ValidationError

from smsim.strict_json import MAX_INTEGER


class RowIdConverter(BaseConverter):
    """``<rowid:name>`` in a route: the id of a stored row (a rule, a callback attempt,
    a campaign).

    ASCII digits only (werkzeug's ``int`` also matches other scripts' digits) and at most
    SQLite's largest integer: any other path segment names no row, so the route does not
    match and the answer is 404, never an overflow inside the store."""

    regex = r"[0-9]{1,19}"
    weight = 50

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_INTEGER:
            raise ValidationError()
        return number

    def to_url(self, value: int) -> str:
        return str(int(value))


def allowed_methods(exc: HTTPException) -> str | None:
    """The ``Allow`` header a 405 must carry (RFC 9110 §15.5.6), None for other errors."""
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        return ", ".join(sorted(exc.valid_methods))
    return None
