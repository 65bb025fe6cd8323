"""The client database's migrations, oldest first (see :mod:`smsim.migrations`).

To change the schema (a new table, a new column), append
``Migration(<last + 1>, "what and why", "<SQL>")`` to :data:`MIGRATIONS`; never edit a
released one. The store runs them when it opens a file.
"""

from __future__ import annotations

from smsim.migrations import Migration

# Migration 1 is the schema of smsim 0.1.0, the release before versioned databases,
# verbatim: ``IF NOT EXISTS`` lets it complete a file that release made.
_RELEASE_0_1_SCHEMA = """
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

# Migration 2: campaigns send in the background; per-recipient send state makes a
# restart resume without sending anything twice (owned by client/campaign_queue.py).
_BACKGROUND_CAMPAIGNS = """
CREATE TABLE campaign_runs (
    campaign_id INTEGER PRIMARY KEY,
    state TEXT NOT NULL,
    started_at REAL NOT NULL,
    finished_at REAL,
    throttled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE campaign_sends (
    message_id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL DEFAULT 0,
    claimed_at REAL
);
CREATE INDEX campaign_sends_state
    ON campaign_sends(campaign_id, state, message_id);
"""

# Migration 3: `smsim client serve --workers N` runs several processes on one file. The
# sender process looks for campaigns to send every few milliseconds (an index on the run
# state keeps that one cheap read), and a process that caches providers learns from the
# ``store_meta`` generation that another process changed them (client/store.py).
_PROCESSES = """
CREATE INDEX campaign_runs_state ON campaign_runs(state);
CREATE TABLE store_meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""

# Migration 4: the client is one process (its store is SQLite): nothing else writes the
# file, so caches follow a generation kept in memory and ``store_meta`` has no use.
_ONE_PROCESS = """
DROP TABLE IF EXISTS store_meta;
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "the schema of smsim 0.1.0", _RELEASE_0_1_SCHEMA),
    Migration(2, "background campaigns: run and per-recipient send state", _BACKGROUND_CAMPAIGNS),
    Migration(3, "several processes: run-state index, cache generation", _PROCESSES),
    Migration(4, "one process: no shared cache generation", _ONE_PROCESS),
)
