"""The one WHERE builder: absent filters vanish, merged conditions keep their parameters
in order (the inbox's To-or-From query depends on it)."""

from __future__ import annotations

import sqlite3

from smsim.sqlwhere import Where


def test_absent_filters_leave_no_clause() -> None:
    where = Where().equals("status", None).equals("to_number", "").compare("id", "<", None)
    assert (where.sql, where.params) == ("", [])


def test_merged_keeps_each_parts_conditions_and_parameters_in_order() -> None:
    filters = Where().equals("status", "delivered").add("body LIKE ?", "%hi%")
    side = Where().equals("to_number", "+14155550100")
    merged = side.merged(filters, Where().compare("id", "<", 9))
    assert merged.sql == " WHERE to_number = ? AND status = ? AND body LIKE ? AND id < ?"
    assert merged.params == ["+14155550100", "delivered", "%hi%", 9]
    assert side.params == ["+14155550100"]  # the parts are left as they were


def test_merged_conditions_select_the_right_rows() -> None:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE m (id INTEGER PRIMARY KEY, to_number TEXT, status TEXT)")
    rows = [("+1", "delivered"), ("+2", "delivered"), ("+1", "failed"), ("+1", "delivered")]
    db.executemany("INSERT INTO m (to_number, status) VALUES (?, ?)", rows)
    where = (
        Where()
        .equals("to_number", "+1")
        .merged(Where().equals("status", "delivered"), Where().compare("id", ">", 1))
    )
    found = db.execute(f"SELECT id FROM m{where.sql} ORDER BY id", where.params).fetchall()
    assert found == [(4,)]
