"""SQLite persistence for the integration: providers, campaigns, messages, callbacks,
replies, short links, clicks and events.

One connection guarded by a lock (SQLite serialises writers anyway); WAL for file
databases so readers never block the receiver. Idempotency lives in unique keys, not in
application checks: a status callback is unique by (MessageSid, status), a reply by its
MessageSid, so a repeated webhook can never count twice even under concurrent delivery.
Every multi-step change (callback + status + event) happens in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from smsim.client.settings import Provider
from smsim.sqlwhere import Where

EVENT_SENT = "Notification Sent"
EVENT_DELIVERED = "Notification Delivered"
EVENT_FAILED = "Notification Failed"
EVENT_CLICKED = "Notification Clicked"
EVENT_REPLIED = "Notification Replied"
EVENT_NAMES = (EVENT_SENT, EVENT_DELIVERED, EVENT_FAILED, EVENT_CLICKED, EVENT_REPLIED)

TERMINAL_RANK = 9
#: Twilio's outbound statuses, ordered. A status only ever moves up; terminal ones never move.
STATUS_RANK: dict[str, int] = {
    "pending": -1,  # created here, not yet handed to Twilio
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": TERMINAL_RANK,
    "undelivered": TERMINAL_RANK,
    "failed": TERMINAL_RANK,
    "canceled": TERMINAL_RANK,
}
FAILED_STATUSES = ("failed", "undelivered")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS providers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    nickname TEXT NOT NULL,
    account_sid TEXT NOT NULL,
    auth_token TEXT NOT NULL,
    callback_url TEXT,
    from_numbers TEXT NOT NULL,
    service_sid TEXT,
    template_id_required INTEGER NOT NULL DEFAULT 0,
    is_default INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    deleted_at REAL
);
CREATE UNIQUE INDEX IF NOT EXISTS providers_nickname
    ON providers(nickname COLLATE NOCASE) WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS providers_account ON providers(account_sid);
CREATE TABLE IF NOT EXISTS campaigns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT,
    provider_id INTEGER NOT NULL,
    body TEXT NOT NULL,
    click_tracking INTEGER NOT NULL,
    template_id TEXT,
    variant INTEGER NOT NULL DEFAULT 0,
    targeted INTEGER NOT NULL,
    created_at REAL NOT NULL,
    finished_at REAL
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id INTEGER,
    provider_id INTEGER NOT NULL,
    to_number TEXT NOT NULL,
    from_number TEXT,
    body TEXT NOT NULL,
    sid TEXT UNIQUE,
    status TEXT NOT NULL DEFAULT 'pending',
    status_rank INTEGER NOT NULL DEFAULT -1,
    error_code INTEGER,
    error_message TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_campaign ON messages(campaign_id);
CREATE INDEX IF NOT EXISTS messages_provider ON messages(provider_id);
CREATE INDEX IF NOT EXISTS messages_to ON messages(provider_id, to_number, id);
CREATE TABLE IF NOT EXISTS callbacks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_id INTEGER NOT NULL,
    message_id INTEGER,
    message_sid TEXT NOT NULL,
    status TEXT NOT NULL,
    error_code INTEGER,
    params TEXT NOT NULL,
    received_at REAL NOT NULL,
    UNIQUE (message_sid, status)
);
CREATE TABLE IF NOT EXISTS replies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_id INTEGER NOT NULL,
    message_sid TEXT NOT NULL UNIQUE,
    from_number TEXT NOT NULL,
    to_number TEXT NOT NULL,
    body TEXT NOT NULL,
    campaign_id INTEGER,
    message_id INTEGER,
    received_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS links (
    code TEXT PRIMARY KEY,
    campaign_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    url TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS clicks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL,
    campaign_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    clicked_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS clicks_campaign ON clicks(campaign_id, message_id);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    name TEXT NOT NULL,
    provider_id INTEGER,
    campaign_id INTEGER,
    message_id INTEGER,
    props TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_provider ON events(provider_id, ts);
CREATE INDEX IF NOT EXISTS events_campaign ON events(campaign_id, ts);
"""


class ConflictError(Exception):
    """A change that contradicts saved state (duplicate nickname, unsetting the default)."""

    def __init__(self, fields: Mapping[str, str], message: str = "conflict") -> None:
        super().__init__(message)
        self.fields = dict(fields)
        self.message = message


class NotFoundError(Exception):
    """The referenced provider, campaign or link does not exist."""


@dataclass(frozen=True)
class MessageRow:
    """One outbound message as the integration tracks it."""

    id: int
    campaign_id: int | None
    provider_id: int
    to_number: str
    from_number: str | None
    body: str
    sid: str | None
    status: str
    error_code: int | None
    error_message: str | None


@dataclass(frozen=True)
class SendOutcome:
    """What Twilio answered for one message (see twilio_api.SendResult)."""

    message_id: int
    sid: str | None
    status: str
    from_number: str | None
    error_code: int | None
    error_message: str | None


def _provider(row: sqlite3.Row) -> Provider:
    return Provider(
        id=row["id"],
        nickname=row["nickname"],
        account_sid=row["account_sid"],
        auth_token=row["auth_token"],
        callback_url=row["callback_url"],
        from_numbers=tuple(json.loads(row["from_numbers"])),
        service_sid=row["service_sid"],
        template_id_required=bool(row["template_id_required"]),
        is_default=bool(row["is_default"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _message(row: sqlite3.Row) -> MessageRow:
    return MessageRow(
        id=row["id"],
        campaign_id=row["campaign_id"],
        provider_id=row["provider_id"],
        to_number=row["to_number"],
        from_number=row["from_number"],
        body=row["body"],
        sid=row["sid"],
        status=row["status"],
        error_code=row["error_code"],
        error_message=row["error_message"],
    )


class Store:
    """The integration's database. Thread-safe; open with a path or ``":memory:"``."""

    def __init__(self, path: str = ":memory:", clock: Any = time.time) -> None:
        self._lock = threading.RLock()
        self._clock = clock
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        if path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def _event(
        self,
        conn: sqlite3.Connection,
        name: str,
        *,
        provider_id: int | None,
        campaign_id: int | None = None,
        message_id: int | None = None,
        props: Mapping[str, Any] | None = None,
        ts: float | None = None,
    ) -> None:
        conn.execute(
            "INSERT INTO events (ts, name, provider_id, campaign_id, message_id, props)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                self._clock() if ts is None else ts,
                name,
                provider_id,
                campaign_id,
                message_id,
                json.dumps(dict(props or {}), ensure_ascii=False),
            ),
        )

    # -- providers -------------------------------------------------------------------

    def list_providers(self) -> list[Provider]:
        """Active providers, oldest first."""
        rows = self._query("SELECT * FROM providers WHERE deleted_at IS NULL ORDER BY id")
        return [_provider(r) for r in rows]

    def get_provider(self, provider_id: int, *, include_deleted: bool = False) -> Provider:
        """A provider by id; deleted ones only when asked (the receiver still verifies them)."""
        sql = "SELECT * FROM providers WHERE id = ?"
        if not include_deleted:
            sql += " AND deleted_at IS NULL"
        rows = self._query(sql, (provider_id,))
        if not rows:
            raise NotFoundError(f"provider {provider_id} not found")
        return _provider(rows[0])

    def find_provider(self, ref: int | str | None) -> Provider:
        """A provider by id or nickname; the default provider when ``ref`` is None."""
        if ref is None:
            rows = self._query(
                "SELECT * FROM providers WHERE deleted_at IS NULL AND is_default = 1"
            )
            if not rows:
                raise NotFoundError("no default provider: add a provider first")
            return _provider(rows[0])
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            return self.get_provider(int(ref))
        rows = self._query(
            "SELECT * FROM providers WHERE deleted_at IS NULL AND nickname = ? COLLATE NOCASE",
            (ref,),
        )
        if not rows:
            raise NotFoundError(f"provider {ref!r} not found")
        return _provider(rows[0])

    def providers_for_account(self, account_sid: str) -> list[Provider]:
        """Every provider (deleted ones too) configured with this Twilio account."""
        rows = self._query(
            "SELECT * FROM providers WHERE account_sid = ? ORDER BY deleted_at IS NOT NULL, id",
            (account_sid,),
        )
        return [_provider(r) for r in rows]

    def _nickname_taken(self, conn: sqlite3.Connection, nickname: str, exclude: int) -> bool:
        row = conn.execute(
            "SELECT 1 FROM providers WHERE deleted_at IS NULL AND id != ?"
            " AND nickname = ? COLLATE NOCASE",
            (exclude, nickname),
        ).fetchone()
        return row is not None

    def create_provider(self, fields: Mapping[str, Any]) -> Provider:
        """Insert a validated provider; the first one, or one marked default, becomes default."""
        now = self._clock()
        with self._tx() as conn:
            if self._nickname_taken(conn, fields["nickname"], exclude=-1):
                raise ConflictError({"nickname": "is already used by another provider"})
            has_default = conn.execute(
                "SELECT 1 FROM providers WHERE deleted_at IS NULL AND is_default = 1"
            ).fetchone()
            make_default = bool(fields.get("is_default")) or has_default is None
            if make_default:
                conn.execute("UPDATE providers SET is_default = 0 WHERE is_default = 1")
            cur = conn.execute(
                "INSERT INTO providers (nickname, account_sid, auth_token, callback_url,"
                " from_numbers, service_sid, template_id_required, is_default, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    fields["nickname"],
                    fields["account_sid"],
                    fields["auth_token"],
                    fields.get("callback_url"),
                    json.dumps(list(fields.get("from_numbers", ()))),
                    fields.get("service_sid"),
                    int(bool(fields.get("template_id_required", False))),
                    int(make_default),
                    now,
                    now,
                ),
            )
            provider_id = int(cur.lastrowid or 0)
        return self.get_provider(provider_id)

    def update_provider(self, provider_id: int, fields: Mapping[str, Any]) -> Provider:
        """Apply validated changes; marking one provider default unmarks the others."""
        columns: dict[str, Callable[[Any], Any]] = {
            "nickname": lambda v: v,
            "account_sid": lambda v: v,
            "auth_token": lambda v: v,
            "callback_url": lambda v: v,
            "from_numbers": lambda v: json.dumps(list(v)),
            "service_sid": lambda v: v,
            "template_id_required": int,
            "is_default": int,
        }
        with self._tx() as conn:
            row = conn.execute(
                "SELECT * FROM providers WHERE id = ? AND deleted_at IS NULL", (provider_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"provider {provider_id} not found")
            if "nickname" in fields and self._nickname_taken(
                conn, fields["nickname"], exclude=provider_id
            ):
                raise ConflictError({"nickname": "is already used by another provider"})
            if fields.get("is_default") is False and row["is_default"]:
                raise ConflictError(
                    {"is_default": "one provider must stay default: mark another one instead"}
                )
            if fields.get("is_default"):
                conn.execute("UPDATE providers SET is_default = 0 WHERE is_default = 1")
            sets = [(k, columns[k](v)) for k, v in fields.items() if k in columns]
            sets.append(("updated_at", self._clock()))
            conn.execute(
                f"UPDATE providers SET {', '.join(f'{k} = ?' for k, _ in sets)} WHERE id = ?",
                [v for _, v in sets] + [provider_id],
            )
        return self.get_provider(provider_id)

    def delete_provider(self, provider_id: int) -> None:
        """Soft-delete: the provider disappears from lists and sends, but late callbacks for
        its messages still verify and count. The oldest remaining provider becomes default."""
        with self._tx() as conn:
            row = conn.execute(
                "SELECT is_default FROM providers WHERE id = ? AND deleted_at IS NULL",
                (provider_id,),
            ).fetchone()
            if row is None:
                raise NotFoundError(f"provider {provider_id} not found")
            conn.execute(
                "UPDATE providers SET deleted_at = ?, is_default = 0 WHERE id = ?",
                (self._clock(), provider_id),
            )
            if row["is_default"]:
                conn.execute(
                    "UPDATE providers SET is_default = 1 WHERE id = (SELECT MIN(id)"
                    " FROM providers WHERE deleted_at IS NULL)"
                )

    # -- campaigns and messages -----------------------------------------------------------

    def create_campaign(
        self,
        *,
        provider_id: int,
        body: str,
        recipients: Sequence[str],
        name: str | None,
        click_tracking: bool,
        template_id: str | None,
        variant: int = 0,
    ) -> tuple[int, list[int]]:
        """Create a campaign and one pending message per recipient; return (id, message ids)."""
        now = self._clock()
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO campaigns (name, provider_id, body, click_tracking, template_id,"
                " variant, targeted, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name,
                    provider_id,
                    body,
                    int(click_tracking),
                    template_id,
                    variant,
                    len(recipients),
                    now,
                ),
            )
            campaign_id = int(cur.lastrowid or 0)
            conn.executemany(
                "INSERT INTO messages (campaign_id, provider_id, to_number, body, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                [(campaign_id, provider_id, to, body, now, now) for to in recipients],
            )
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM messages WHERE campaign_id = ? ORDER BY id", (campaign_id,)
                )
            ]
        return campaign_id, ids

    def set_message_bodies(self, bodies: Iterable[tuple[int, str]]) -> None:
        """Store the per-recipient body (with tracked links) actually sent."""
        with self._tx() as conn:
            conn.executemany(
                "UPDATE messages SET body = ? WHERE id = ?", [(b, i) for i, b in bodies]
            )

    def finish_campaign(self, campaign_id: int) -> None:
        """Mark the campaign as fully handed to Twilio."""
        with self._tx() as conn:
            conn.execute(
                "UPDATE campaigns SET finished_at = ? WHERE id = ?", (self._clock(), campaign_id)
            )

    def create_test_message(self, provider_id: int, to: str, body: str) -> int:
        """A pending message outside any campaign (Send Test SMS)."""
        now = self._clock()
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO messages (campaign_id, provider_id, to_number, body, created_at,"
                " updated_at) VALUES (NULL, ?, ?, ?, ?, ?)",
                (provider_id, to, body, now, now),
            )
            return int(cur.lastrowid or 0)

    def get_campaign(self, campaign_id: int) -> dict[str, Any]:
        """A campaign's settings as a plain dict."""
        rows = self._query("SELECT * FROM campaigns WHERE id = ?", (campaign_id,))
        if not rows:
            raise NotFoundError(f"campaign {campaign_id} not found")
        return dict(rows[0])

    def list_campaigns(self) -> list[dict[str, Any]]:
        """Every campaign, newest first."""
        return [dict(r) for r in self._query("SELECT * FROM campaigns ORDER BY id DESC")]

    def get_message(self, message_id: int) -> MessageRow | None:
        """One message by its integration id."""
        rows = self._query("SELECT * FROM messages WHERE id = ?", (message_id,))
        return _message(rows[0]) if rows else None

    def message_by_sid(self, sid: str) -> MessageRow | None:
        """One message by its Twilio SID."""
        rows = self._query("SELECT * FROM messages WHERE sid = ?", (sid,))
        return _message(rows[0]) if rows else None

    def record_send_outcomes(self, outcomes: Sequence[SendOutcome]) -> None:
        """Record what Twilio answered, in one transaction per batch.

        A status callback may have arrived (attributed by meta) before this runs, so the
        status only moves up, and the SID is only filled in when still unknown.
        """
        if not outcomes:
            return
        now = self._clock()
        with self._tx() as conn:
            for o in outcomes:
                row = conn.execute(
                    "SELECT campaign_id, provider_id, to_number FROM messages WHERE id = ?",
                    (o.message_id,),
                ).fetchone()
                if row is None:
                    continue
                rank = STATUS_RANK.get(o.status, 0)
                conn.execute(
                    "UPDATE messages SET sid = COALESCE(sid, ?),"
                    " from_number = COALESCE(?, from_number),"
                    " error_code = CASE WHEN status_rank < ? THEN ? ELSE error_code END,"
                    " error_message = CASE WHEN status_rank < ? THEN ? ELSE error_message END,"
                    " status = CASE WHEN status_rank < ? THEN ? ELSE status END,"
                    " status_rank = MAX(status_rank, ?), updated_at = ? WHERE id = ?",
                    (
                        o.sid,
                        o.from_number,
                        rank,
                        o.error_code,
                        rank,
                        o.error_message,
                        rank,
                        o.status,
                        rank,
                        now,
                        o.message_id,
                    ),
                )
                common = {
                    "provider_id": row["provider_id"],
                    "campaign_id": row["campaign_id"],
                    "message_id": o.message_id,
                }
                if o.sid:
                    self._event(
                        conn, EVENT_SENT, **common, props={"to": row["to_number"], "sid": o.sid}
                    )
                else:
                    self._event(
                        conn,
                        EVENT_FAILED,
                        **common,
                        props={
                            "to": row["to_number"],
                            "error_code": o.error_code,
                            "error_message": o.error_message,
                            "stage": "send",
                        },
                    )

    # -- callbacks and replies --------------------------------------------------------------

    def record_status_callback(
        self,
        *,
        provider_id: int,
        message_id: int | None,
        message_sid: str,
        status: str,
        error_code: int | None,
        error_message: str | None,
        params: Mapping[str, Any],
    ) -> str:
        """Record one verified status callback; returns what happened to it.

        ``duplicate``: this (MessageSid, status) was already recorded, nothing changes.
        ``unattributed``: recorded and counted under the provider only.
        ``applied``: the message moved to this status (and an event was recorded).
        ``stale``: recorded, but the message already had this or a later status.
        """
        now = self._clock()
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO callbacks (provider_id, message_id, message_sid, status,"
                " error_code, params, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    provider_id,
                    message_id,
                    message_sid,
                    status,
                    error_code,
                    json.dumps(dict(params), ensure_ascii=False),
                    now,
                ),
            )
            if cur.rowcount == 0:
                return "duplicate"
            if message_id is None:
                return "unattributed"
            row = conn.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
            conn.execute(
                "UPDATE messages SET sid = COALESCE(sid, ?) WHERE id = ?", (message_sid, message_id)
            )
            rank = STATUS_RANK.get(status)
            if rank is None or row["status_rank"] >= rank or row["status_rank"] >= TERMINAL_RANK:
                return "stale"
            conn.execute(
                "UPDATE messages SET status = ?, status_rank = ?, error_code = ?,"
                " error_message = ?, updated_at = ? WHERE id = ?",
                (
                    status,
                    rank,
                    error_code if status in FAILED_STATUSES else None,
                    error_message if status in FAILED_STATUSES else None,
                    now,
                    message_id,
                ),
            )
            common = {
                "provider_id": row["provider_id"],
                "campaign_id": row["campaign_id"],
                "message_id": message_id,
            }
            if status == "delivered":
                self._event(
                    conn,
                    EVENT_DELIVERED,
                    **common,
                    props={"to": row["to_number"], "sid": message_sid},
                )
            elif status in FAILED_STATUSES:
                self._event(
                    conn,
                    EVENT_FAILED,
                    **common,
                    props={
                        "to": row["to_number"],
                        "sid": message_sid,
                        "status": status,
                        "error_code": error_code,
                        "error_message": error_message,
                        "stage": "delivery",
                    },
                )
            return "applied"

    def last_message_to(self, provider_id: int, handset: str) -> MessageRow | None:
        """The latest message a provider sent to a handset (what a reply answers)."""
        rows = self._query(
            "SELECT * FROM messages WHERE provider_id = ? AND to_number = ? AND sid IS NOT NULL"
            " ORDER BY id DESC LIMIT 1",
            (provider_id, handset),
        )
        return _message(rows[0]) if rows else None

    def record_reply(
        self,
        *,
        provider_id: int,
        message_sid: str,
        from_number: str,
        to_number: str,
        body: str,
        answers: MessageRow | None,
    ) -> bool:
        """Record an incoming message once (by its MessageSid); False when already recorded."""
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO replies (provider_id, message_sid, from_number, to_number,"
                " body, campaign_id, message_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    provider_id,
                    message_sid,
                    from_number,
                    to_number,
                    body,
                    answers.campaign_id if answers else None,
                    answers.id if answers else None,
                    self._clock(),
                ),
            )
            if cur.rowcount == 0:
                return False
            self._event(
                conn,
                EVENT_REPLIED,
                provider_id=provider_id,
                campaign_id=answers.campaign_id if answers else None,
                message_id=answers.id if answers else None,
                props={"from": from_number, "to": to_number, "body": body, "sid": message_sid},
            )
            return True

    # -- links and clicks -------------------------------------------------------------------

    def create_links(self, rows: Iterable[tuple[str, int, int, str]]) -> None:
        """Save short links as (code, campaign_id, message_id, url)."""
        with self._tx() as conn:
            conn.executemany(
                "INSERT INTO links (code, campaign_id, message_id, url) VALUES (?, ?, ?, ?)",
                list(rows),
            )

    def record_click(self, code: str) -> str:
        """Count a click on a short link and return its target URL.

        Every click is an event; stats count unique recipients who clicked.
        """
        with self._tx() as conn:
            link = conn.execute("SELECT * FROM links WHERE code = ?", (code,)).fetchone()
            if link is None:
                raise NotFoundError(f"link {code!r} not found")
            msg = conn.execute(
                "SELECT provider_id, to_number FROM messages WHERE id = ?", (link["message_id"],)
            ).fetchone()
            conn.execute(
                "INSERT INTO clicks (code, campaign_id, message_id, clicked_at)"
                " VALUES (?, ?, ?, ?)",
                (code, link["campaign_id"], link["message_id"], self._clock()),
            )
            self._event(
                conn,
                EVENT_CLICKED,
                provider_id=msg["provider_id"] if msg else None,
                campaign_id=link["campaign_id"],
                message_id=link["message_id"],
                props={"to": msg["to_number"] if msg else None, "url": link["url"]},
            )
            return str(link["url"])

    # -- reads for stats and events ---------------------------------------------------------

    def message_counts(self, where: str, params: Sequence[Any]) -> dict[str, int]:
        """Counts over messages matching ``where`` (an internal, fixed SQL fragment)."""
        row = self._query(
            "SELECT COUNT(*) AS targeted,"
            " COALESCE(SUM(sid IS NOT NULL), 0) AS sent,"
            " COALESCE(SUM(status = 'delivered'), 0) AS delivered,"
            " COALESCE(SUM(status IN ('failed', 'undelivered')), 0) AS failed,"
            " COALESCE(SUM(status = 'failed' AND sid IS NULL), 0) AS failed_on_send,"
            " COALESCE(SUM(status IN ('failed', 'undelivered') AND error_code IS NULL), 0)"
            "   AS failed_without_code,"
            " COALESCE(SUM(status_rank < 9), 0) AS pending"
            f" FROM messages WHERE {where}",
            params,
        )[0]
        return {k: int(row[k]) for k in row.keys()}  # noqa: SIM118 - sqlite3.Row

    def error_counts(self, where: str, params: Sequence[Any]) -> list[tuple[int, int, str | None]]:
        """(code, count, a Twilio message seen for it) over failed messages matching ``where``."""
        rows = self._query(
            "SELECT error_code, COUNT(*) AS n, MAX(error_message) AS msg FROM messages"
            f" WHERE {where} AND status IN ('failed', 'undelivered') AND error_code IS NOT NULL"
            " GROUP BY error_code ORDER BY error_code",
            params,
        )
        return [(int(r["error_code"]), int(r["n"]), r["msg"]) for r in rows]

    def click_counts(self, where: str, params: Sequence[Any]) -> tuple[int, int]:
        """(unique recipients who clicked, total clicks) over clicks joined to messages."""
        row = self._query(
            "SELECT COUNT(DISTINCT c.message_id) AS uniq, COUNT(*) AS total FROM clicks c"
            f" JOIN messages m ON m.id = c.message_id WHERE {where}",
            params,
        )[0]
        return int(row["uniq"]), int(row["total"])

    def reply_counts(self, where: str, params: Sequence[Any]) -> tuple[int, int]:
        """(replies, unique repliers) over replies matching ``where``."""
        row = self._query(
            f"SELECT COUNT(*) AS n, COUNT(DISTINCT from_number) AS uniq FROM replies WHERE {where}",
            params,
        )[0]
        return int(row["n"]), int(row["uniq"])

    def unattributed_callbacks(self, provider_id: int) -> dict[str, int]:
        """Verified callbacks for this provider that matched no message, by status."""
        rows = self._query(
            "SELECT status, COUNT(*) AS n FROM callbacks WHERE provider_id = ?"
            " AND message_id IS NULL GROUP BY status ORDER BY status",
            (provider_id,),
        )
        return {r["status"]: int(r["n"]) for r in rows}

    def unattributed_outcomes(self, provider_id: int) -> list[tuple[str, int | None]]:
        """(final status, error code) per unattributed MessageSid that reached a final status.

        The first final callback received for a SID wins, as for attributed messages.
        """
        rows = self._query(
            "SELECT c.status, c.error_code FROM callbacks c WHERE c.provider_id = ?"
            " AND c.message_id IS NULL AND c.status IN ('delivered', 'undelivered', 'failed')"
            " AND c.id = (SELECT MIN(c2.id) FROM callbacks c2 WHERE c2.message_sid = c.message_sid"
            "   AND c2.message_id IS NULL"
            "   AND c2.status IN ('delivered', 'undelivered', 'failed', 'canceled'))",
            (provider_id,),
        )
        return [(r["status"], r["error_code"]) for r in rows]

    def events(
        self,
        *,
        provider_id: int | None = None,
        campaign_id: int | None = None,
        name: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Recorded events, oldest first, filtered."""
        where = self._event_filter(provider_id, campaign_id, name, since, until)
        rows = self._query(
            f"SELECT * FROM events{where.sql} ORDER BY id LIMIT ? OFFSET ?",
            [*where.params, limit, offset],
        )
        return [
            {
                "id": r["id"],
                "ts": r["ts"],
                "name": r["name"],
                "provider_id": r["provider_id"],
                "campaign_id": r["campaign_id"],
                "message_id": r["message_id"],
                "props": json.loads(r["props"]),
            }
            for r in rows
        ]

    def event_counts(
        self,
        *,
        bucket: str,
        provider_id: int | None = None,
        campaign_id: int | None = None,
        name: str | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> list[tuple[str, str, int]]:
        """(period, event name, count) with period ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:00Z``."""
        fmt = {"day": "%Y-%m-%d", "hour": "%Y-%m-%dT%H:00Z"}[bucket]
        where = self._event_filter(provider_id, campaign_id, name, since, until)
        rows = self._query(
            f"SELECT strftime('{fmt}', ts, 'unixepoch') AS period, name, COUNT(*) AS n"
            f" FROM events{where.sql} GROUP BY period, name ORDER BY period, name",
            where.params,
        )
        return [(r["period"], r["name"], int(r["n"])) for r in rows]

    @staticmethod
    def _event_filter(
        provider_id: int | None,
        campaign_id: int | None,
        name: str | None,
        since: float | None,
        until: float | None,
    ) -> Where:
        return (
            Where()
            .equals("provider_id", provider_id)
            .equals("campaign_id", campaign_id)
            .equals("name", name)
            .compare("ts", ">=", since)
            .compare("ts", "<", until)
        )
