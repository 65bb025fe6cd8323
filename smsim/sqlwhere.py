"""A WHERE clause assembled from optional filters, with its parameters kept beside it.

Both stores (the simulator's and the client's) build filtered SELECTs from query
strings where any filter may be absent; this is the one place that does it, so a
filter is always applied in SQL, before any LIMIT.
"""

from __future__ import annotations

from typing import Any


class Where:
    """Conditions joined with AND; ``sql`` is empty when there are none.

    Column names are written by the caller's code, never taken from user input; values
    always travel as parameters.
    """

    def __init__(self) -> None:
        self._clauses: list[str] = []
        self.params: list[Any] = []

    def add(self, clause: str, *params: Any) -> Where:
        """A condition with ``?`` placeholders for ``params``."""
        self._clauses.append(clause)
        self.params.extend(params)
        return self

    def equals(self, column: str, value: Any) -> Where:
        """``column = value`` unless ``value`` is None or an empty string (filter absent)."""
        if value is None or value == "":
            return self
        return self.add(f"{column} = ?", value)

    def compare(self, column: str, operator: str, value: Any) -> Where:
        """``column <op> value`` (``<``, ``<=``, ``>``, ``>=``) unless ``value`` is None."""
        if operator not in {"<", "<=", ">", ">="}:
            raise ValueError(f"unsupported operator {operator!r}")
        if value is None:
            return self
        return self.add(f"{column} {operator} ?", value)

    def merged(self, *others: Where) -> Where:
        """A new Where with this one's conditions, then each of ``others``' (parameters
        kept in the same order)."""
        out = Where()
        for part in (self, *others):
            out._clauses.extend(part._clauses)
            out.params.extend(part.params)
        return out

    @property
    def sql(self) -> str:
        """`` WHERE a AND b`` (leading space) or ``""``."""
        return " WHERE " + " AND ".join(self._clauses) if self._clauses else ""
