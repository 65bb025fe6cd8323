"""The simulator database's migrations, oldest first (see :mod:`smsim.migrations`).

To change the schema, append ``Migration(<last + 1>, "what and why", "<SQLite SQL>",
postgresql="<PostgreSQL SQL>")`` to :data:`MIGRATIONS`; never edit a released one. The
store runs them when it opens a database. Each step has both engines' forms side by side,
so a PostgreSQL database and an SQLite file at the same version have the same tables.

PostgreSQL's forms differ where the engines do: identity columns for SQLite's
``AUTOINCREMENT`` (and a ``position`` identity where SQLite ordered by ``rowid``),
``DOUBLE PRECISION`` for the ``REAL`` epoch times, ``BIGINT`` ids, and expression indexes
over ``extra::json``.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from smsim.migrations import Migration
from smsim.simulator.ids import new_sid
from smsim.simulator.media_urls import content_type_of

# Migration 1 is the schema of smsim 0.1.0, the release before versioned databases,
# verbatim: ``IF NOT EXISTS`` lets it complete a file that release made.
_RELEASE_0_1_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    sid TEXT PRIMARY KEY, auth_token TEXT NOT NULL, friendly_name TEXT NOT NULL,
    type TEXT NOT NULL, status TEXT NOT NULL, owner_account_sid TEXT,
    date_created REAL NOT NULL, date_updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
    sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL, secret TEXT NOT NULL,
    friendly_name TEXT NOT NULL, date_created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS phone_numbers (
    sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL, phone_number TEXT NOT NULL UNIQUE,
    friendly_name TEXT NOT NULL, sms_url TEXT, sms_method TEXT NOT NULL DEFAULT 'POST',
    sms_fallback_url TEXT, sms_fallback_method TEXT NOT NULL DEFAULT 'POST',
    status_callback TEXT, messaging_service_sid TEXT,
    date_created REAL NOT NULL, date_updated REAL NOT NULL);
CREATE INDEX IF NOT EXISTS phone_numbers_account ON phone_numbers (account_sid);
CREATE TABLE IF NOT EXISTS verified_numbers (
    sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL, phone_number TEXT NOT NULL,
    friendly_name TEXT NOT NULL, date_created REAL NOT NULL, date_updated REAL NOT NULL,
    UNIQUE (account_sid, phone_number));
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT, sid TEXT NOT NULL UNIQUE,
    account_sid TEXT NOT NULL, direction TEXT NOT NULL,
    from_number TEXT, to_number TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL,
    error_code INTEGER, error_message TEXT, num_segments INTEGER NOT NULL,
    num_media INTEGER NOT NULL, price TEXT, price_unit TEXT,
    messaging_service_sid TEXT, status_callback TEXT,
    date_created REAL NOT NULL, date_updated REAL NOT NULL, date_sent REAL,
    extra TEXT NOT NULL DEFAULT '{}');
CREATE INDEX IF NOT EXISTS messages_account ON messages (account_sid, id);
CREATE INDEX IF NOT EXISTS messages_account_to ON messages (account_sid, to_number, id);
CREATE INDEX IF NOT EXISTS messages_account_from ON messages (account_sid, from_number, id);
CREATE INDEX IF NOT EXISTS messages_to ON messages (to_number, id);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, due_at REAL NOT NULL, kind TEXT NOT NULL,
    ref TEXT NOT NULL, payload TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT 'pending');
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (state, due_at, id);
CREATE INDEX IF NOT EXISTS jobs_ref ON jobs (ref);
CREATE TABLE IF NOT EXISTS callback_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, job_id INTEGER, message_sid TEXT,
    account_sid TEXT, kind TEXT NOT NULL, url TEXT NOT NULL, method TEXT NOT NULL,
    params TEXT NOT NULL, headers TEXT NOT NULL, attempt INTEGER NOT NULL,
    status_code INTEGER, response_body TEXT, error TEXT, at REAL NOT NULL,
    duration_ms REAL NOT NULL);
CREATE INDEX IF NOT EXISTS callback_attempts_message ON callback_attempts (message_sid, id);
CREATE TABLE IF NOT EXISTS rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT, spec TEXT NOT NULL, remaining INTEGER,
    date_created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS services (
    sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL, data TEXT NOT NULL,
    date_created REAL NOT NULL, date_updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS service_senders (
    service_sid TEXT NOT NULL, phone_sid TEXT NOT NULL, date_created REAL NOT NULL,
    PRIMARY KEY (service_sid, phone_sid));
CREATE TABLE IF NOT EXISTS sticky_senders (
    service_sid TEXT NOT NULL, to_number TEXT NOT NULL, from_number TEXT NOT NULL,
    PRIMARY KEY (service_sid, to_number));
CREATE TABLE IF NOT EXISTS optouts (
    account_sid TEXT NOT NULL, scope TEXT NOT NULL, handset TEXT NOT NULL,
    date_created REAL NOT NULL, PRIMARY KEY (account_sid, scope, handset));
CREATE TABLE IF NOT EXISTS sender_queues (
    sender TEXT PRIMARY KEY, busy_until REAL NOT NULL);
"""

_MEDIA_AND_FEEDBACK_SCHEMA = """
CREATE TABLE media (
    id INTEGER PRIMARY KEY AUTOINCREMENT, sid TEXT NOT NULL UNIQUE,
    account_sid TEXT NOT NULL, parent_sid TEXT NOT NULL, content_type TEXT NOT NULL,
    url TEXT NOT NULL, date_created REAL NOT NULL, date_updated REAL NOT NULL);
CREATE INDEX media_parent ON media (parent_sid, id);
CREATE TABLE message_feedback (
    message_sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL, outcome TEXT NOT NULL,
    date_created REAL NOT NULL, date_updated REAL NOT NULL);
"""


_RELEASE_0_1_SCHEMA_POSTGRESQL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE accounts (
    sid TEXT PRIMARY KEY, auth_token TEXT NOT NULL, friendly_name TEXT NOT NULL,
    type TEXT NOT NULL, status TEXT NOT NULL, owner_account_sid TEXT,
    date_created DOUBLE PRECISION NOT NULL, date_updated DOUBLE PRECISION NOT NULL);
CREATE TABLE api_keys (
    sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL, secret TEXT NOT NULL,
    friendly_name TEXT NOT NULL, date_created DOUBLE PRECISION NOT NULL);
CREATE TABLE phone_numbers (
    sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL, phone_number TEXT NOT NULL UNIQUE,
    friendly_name TEXT NOT NULL, sms_url TEXT, sms_method TEXT NOT NULL DEFAULT 'POST',
    sms_fallback_url TEXT, sms_fallback_method TEXT NOT NULL DEFAULT 'POST',
    status_callback TEXT, messaging_service_sid TEXT,
    date_created DOUBLE PRECISION NOT NULL, date_updated DOUBLE PRECISION NOT NULL);
CREATE INDEX phone_numbers_account ON phone_numbers (account_sid);
CREATE TABLE verified_numbers (
    sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL, phone_number TEXT NOT NULL,
    friendly_name TEXT NOT NULL,
    date_created DOUBLE PRECISION NOT NULL, date_updated DOUBLE PRECISION NOT NULL,
    UNIQUE (account_sid, phone_number));
CREATE TABLE messages (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, sid TEXT NOT NULL UNIQUE,
    account_sid TEXT NOT NULL, direction TEXT NOT NULL,
    from_number TEXT, to_number TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL,
    error_code INTEGER, error_message TEXT, num_segments INTEGER NOT NULL,
    num_media INTEGER NOT NULL, price TEXT, price_unit TEXT,
    messaging_service_sid TEXT, status_callback TEXT,
    date_created DOUBLE PRECISION NOT NULL, date_updated DOUBLE PRECISION NOT NULL,
    date_sent DOUBLE PRECISION, extra TEXT NOT NULL DEFAULT '{}');
CREATE INDEX messages_account ON messages (account_sid, id);
CREATE INDEX messages_account_to ON messages (account_sid, to_number, id);
CREATE INDEX messages_account_from ON messages (account_sid, from_number, id);
CREATE INDEX messages_to ON messages (to_number, id);
CREATE TABLE jobs (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    due_at DOUBLE PRECISION NOT NULL, kind TEXT NOT NULL,
    ref TEXT NOT NULL, payload TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT 'pending');
CREATE INDEX jobs_due ON jobs (state, due_at, id);
CREATE INDEX jobs_ref ON jobs (ref);
CREATE TABLE callback_attempts (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, job_id BIGINT, message_sid TEXT,
    account_sid TEXT, kind TEXT NOT NULL, url TEXT NOT NULL, method TEXT NOT NULL,
    params TEXT NOT NULL, headers TEXT NOT NULL, attempt INTEGER NOT NULL,
    status_code INTEGER, response_body TEXT, error TEXT, at DOUBLE PRECISION NOT NULL,
    duration_ms DOUBLE PRECISION NOT NULL);
CREATE INDEX callback_attempts_message ON callback_attempts (message_sid, id);
CREATE TABLE rules (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, spec TEXT NOT NULL,
    remaining INTEGER, date_created DOUBLE PRECISION NOT NULL);
CREATE TABLE services (
    sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL, data TEXT NOT NULL,
    date_created DOUBLE PRECISION NOT NULL, date_updated DOUBLE PRECISION NOT NULL,
    position BIGINT GENERATED BY DEFAULT AS IDENTITY UNIQUE);
CREATE TABLE service_senders (
    service_sid TEXT NOT NULL, phone_sid TEXT NOT NULL,
    date_created DOUBLE PRECISION NOT NULL,
    position BIGINT GENERATED BY DEFAULT AS IDENTITY UNIQUE,
    PRIMARY KEY (service_sid, phone_sid));
CREATE TABLE sticky_senders (
    service_sid TEXT NOT NULL, to_number TEXT NOT NULL, from_number TEXT NOT NULL,
    PRIMARY KEY (service_sid, to_number));
CREATE TABLE optouts (
    account_sid TEXT NOT NULL, scope TEXT NOT NULL, handset TEXT NOT NULL,
    date_created DOUBLE PRECISION NOT NULL, PRIMARY KEY (account_sid, scope, handset));
CREATE TABLE sender_queues (
    sender TEXT PRIMARY KEY, busy_until DOUBLE PRECISION NOT NULL);
"""

_MEDIA_AND_FEEDBACK_SCHEMA_POSTGRESQL = """
CREATE TABLE media (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, sid TEXT NOT NULL UNIQUE,
    account_sid TEXT NOT NULL, parent_sid TEXT NOT NULL, content_type TEXT NOT NULL,
    url TEXT NOT NULL, date_created DOUBLE PRECISION NOT NULL,
    date_updated DOUBLE PRECISION NOT NULL);
CREATE INDEX media_parent ON media (parent_sid, id);
CREATE TABLE message_feedback (
    message_sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL, outcome TEXT NOT NULL,
    date_created DOUBLE PRECISION NOT NULL, date_updated DOUBLE PRECISION NOT NULL);
"""


def _media_and_feedback_postgresql(conn: Any) -> None:
    """Migration 6 on PostgreSQL: as :func:`_media_and_feedback`, the JSON read here."""
    for statement in _MEDIA_AND_FEEDBACK_SCHEMA_POSTGRESQL.split(";"):
        if statement.strip():
            conn.execute(statement)
    rows = conn.execute(
        "SELECT sid, account_sid, date_created, extra FROM messages"
        " WHERE extra LIKE '%media_urls%' ORDER BY id"
    ).fetchall()
    conn.executemany(
        "INSERT INTO media (sid, account_sid, parent_sid, content_type, url, date_created,"
        " date_updated) VALUES (?,?,?,?,?,?,?)",
        [
            (new_sid("ME"), account, parent, content_type_of(url), url, created, created)
            for parent, account, created, extra in rows
            for url in json.loads(extra).get("media_urls") or []
        ],
    )


def _media_and_feedback(conn: sqlite3.Connection) -> None:
    """The Media and Feedback tables, and a Media row for each URL of every message
    already stored with media (earlier releases kept only the URLs, in ``extra``)."""
    for statement in _MEDIA_AND_FEEDBACK_SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    rows = conn.execute(
        "SELECT sid, account_sid, date_created, json_extract(extra, '$.media_urls') FROM messages"
        " WHERE json_array_length(extra, '$.media_urls') > 0 ORDER BY id"
    ).fetchall()
    conn.executemany(
        "INSERT INTO media (sid, account_sid, parent_sid, content_type, url, date_created,"
        " date_updated) VALUES (?,?,?,?,?,?,?)",
        [
            (new_sid("ME"), account, parent, content_type_of(url), url, created, created)
            for parent, account, created, urls in rows
            for url in json.loads(urls)
        ],
    )


def _nothing(conn: sqlite3.Connection) -> None:
    """A step with nothing to do on SQLite: one process, no one to notify."""


# One statement-level trigger per table and channel: at most one notification per
# channel per transaction (PostgreSQL folds identical ones), sent when it commits, so a
# listener that looks then sees the rows. The channels are smsim.simulator.notices'.
_NOTIFY_TRIGGERS_POSTGRESQL = """
CREATE FUNCTION smsim_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], '');
    RETURN NULL;
END
$$;
CREATE TRIGGER jobs_scheduled AFTER INSERT ON jobs
    FOR EACH STATEMENT EXECUTE FUNCTION smsim_notify('smsim_jobs');
""" + "".join(
    f"""CREATE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION smsim_notify('{channel}');
"""
    for table, channel in (
        ("messages", "smsim_messages"),
        ("media", "smsim_messages"),
        ("callback_attempts", "smsim_messages"),
        ("accounts", "smsim_rows"),
        ("api_keys", "smsim_rows"),
        ("phone_numbers", "smsim_rows"),
        ("services", "smsim_rows"),
        ("service_senders", "smsim_rows"),
    )
)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "the schema of smsim 0.1.0",
        _RELEASE_0_1_SCHEMA,
        postgresql=_RELEASE_0_1_SCHEMA_POSTGRESQL,
    ),
    Migration(
        2,
        "rules remember where they came from ('api' or 'config'), so that a start with"
        " another --config replaces the earlier file's rules and keeps the API's",
        "ALTER TABLE rules ADD COLUMN origin TEXT NOT NULL DEFAULT 'api'",
        postgresql="ALTER TABLE rules ADD COLUMN origin TEXT NOT NULL DEFAULT 'api'",
    ),
    Migration(
        3,
        "the web inbox: indexes for its filters (from, status, direction, error code), so"
        " every filtered page of a million messages walks an index; and lost_callbacks,"
        " the attempts after which a callback was given up (never delivered)",
        """
CREATE INDEX IF NOT EXISTS messages_from ON messages (from_number, id);
CREATE INDEX IF NOT EXISTS messages_status ON messages (status, id);
CREATE INDEX IF NOT EXISTS messages_direction ON messages (direction, id);
CREATE INDEX IF NOT EXISTS messages_error ON messages (error_code, id)
    WHERE error_code IS NOT NULL;
CREATE TABLE IF NOT EXISTS lost_callbacks (
    attempt_id INTEGER PRIMARY KEY, message_sid TEXT, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS lost_callbacks_message ON lost_callbacks (message_sid);
""",
        postgresql="""
CREATE INDEX messages_from ON messages (from_number, id);
CREATE INDEX messages_status ON messages (status, id);
CREATE INDEX messages_direction ON messages (direction, id);
CREATE INDEX messages_error ON messages (error_code, id) WHERE error_code IS NOT NULL;
CREATE TABLE lost_callbacks (
    attempt_id BIGINT PRIMARY KEY, message_sid TEXT, at DOUBLE PRECISION NOT NULL);
CREATE INDEX lost_callbacks_message ON lost_callbacks (message_sid);
""",
    ),
    Migration(
        4,
        "replies found by the inbound message they answer without reading every reply ever"
        " stored (each simulated inbound message looks its replies up)",
        "CREATE INDEX messages_in_reply_to ON messages (json_extract(extra, '$.in_reply_to'))"
        " WHERE direction = 'outbound-reply'",
        postgresql="CREATE INDEX messages_in_reply_to ON messages ((extra::json ->> 'in_reply_to'))"
        " WHERE direction = 'outbound-reply'",
    ),
    Migration(
        5,
        "a running job names the runner slot that claimed it, so that several delivery"
        " processes can run one database's jobs and a dead one's jobs are found and run"
        " again (docs/scaling.md)",
        "ALTER TABLE jobs ADD COLUMN claimed_by INTEGER",
        # PostgreSQL: the name of the instance that claimed it (several machines).
        postgresql="ALTER TABLE jobs ADD COLUMN claimed_by TEXT",
    ),
    Migration(
        6,
        "MMS media as Twilio: a Media resource (ME sid, content type, parent message) for"
        " each MediaUrl, listable, fetchable and deletable, and the Feedback a message's"
        " sender reports (docs/fidelity.md, Messages API: Media and Feedback)",
        _media_and_feedback,
        postgresql=_media_and_feedback_postgresql,
    ),
    Migration(
        7,
        "a claimed job carries a lease: when it ends (epoch seconds) and the claimer has"
        " not renewed it, the job is another runner's to take, so a killed instance loses"
        " nothing (docs/scaling.md)",
        "ALTER TABLE jobs ADD COLUMN lease_until REAL",
        postgresql="ALTER TABLE jobs ADD COLUMN IF NOT EXISTS lease_until DOUBLE PRECISION;"
        " ALTER TABLE jobs ALTER COLUMN claimed_by TYPE TEXT",
    ),
    Migration(
        8,
        "PostgreSQL tells every instance what changed (LISTEN/NOTIFY): a job scheduled"
        " wakes the delivery runners, a change to messages wakes long-polls and the inbox"
        " stream, a change to accounts, keys, numbers or services drops cached rows"
        " (docs/scaling.md). SQLite is one process and needs nothing",
        _nothing,
        postgresql=_NOTIFY_TRIGGERS_POSTGRESQL,
    ),
)
