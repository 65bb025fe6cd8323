"""Memory benchmark: ``smsim serve`` on a database of 1,000,000 stored messages.

    python bench/memory.py [--quick] [--messages N] [--requests N] [--keep DB]

1. Builds an SQLite file with N messages (default 1,000,000; --quick 100,000) in one
   account, over 10,000 recipients, every message final (delivered). For time's sake the
   rows are bulk-inserted through the store layer (``Store.executemany``, 50,000 per
   transaction), not created over HTTP: creating a million messages over HTTP would
   measure the API benchmark for an hour, not the memory of a big database.
2. Starts ``smsim serve --db FILE`` as shipped and reads the memory of all its processes
   (the sum of their Pss; the peak as the sum of their VmHWM)
   idle, then after the requests below, and its peak (VmHWM).
3. Measures latency, one keep-alive client at a time (no queueing), of:
   - list, first page (``PageSize=50``, what the SDK's ``list(limit=50)`` asks);
   - list filtered by ``To`` (one recipient's ~100 messages);
   - list, next pages by ``PageToken`` (the SDK's ``next_page_uri``) from random points;
   - list ``PageSize=1000`` (Twilio's maximum page);
   - fetch one message by SID (random SIDs);
   - list ``Page=200`` without a token (an OFFSET of 10,000 rows; Twilio's own pages
     always carry a token, shown for completeness).
4. Times the web inbox over the same rows (median of ``--inbox-runs`` requests each, after
   warm-up): the home page ``/`` (HTML with the first 50 messages in it), its JSON list
   route ``/_smsim/messages?limit=50``, an older page by cursor, and the filters (number,
   status, text in the body).

Targets: resident memory under 400 MB, list p99 under 50 ms, inbox first page (page and
JSON route) under 100 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import _common as c

from smsim.simulator.config import SimulatorConfig
from smsim.simulator.engine import Engine

TARGET_RSS_MB = 400.0
TARGET_LIST_P99_MS = 50.0
TARGET_INBOX_MS = 100.0
RECIPIENTS = 10_000
BATCH = 50_000
EXTRA = json.dumps(
    {"segments": 1, "encoding": "GSM-7", "validity_period": 36000, "media_urls": []},
    separators=(",", ":"),
)


def build_db(path: Path, messages: int) -> tuple[str, list[str], list[str]]:
    """Seed the accounts as ``smsim serve`` would, then bulk-insert ``messages`` rows.
    Returns the account SID, a sample of message SIDs and the recipients."""
    engine = Engine(SimulatorConfig(db_path=str(path), clock="real", port=0))
    try:
        account = next(a for a in engine.accounts.all() if a.type == "Full")
        store = engine.store
        recipients = [f"+1415{n:07d}" for n in range(3_000_000, 3_000_000 + RECIPIENTS)]
        sample: list[str] = []
        now = time.time() - messages * 0.01
        done = 0
        while done < messages:
            rows = []
            for i in range(done, min(messages, done + BATCH)):
                sid = "SM" + secrets.token_hex(16)
                if i % max(1, messages // 2000) == 0:
                    sample.append(sid)
                at = now + i * 0.01
                rows.append(
                    (
                        sid,
                        account.sid,
                        "outbound-api",
                        "+15005550006",
                        recipients[i % RECIPIENTS],
                        f"Your code is {i % 1_000_000:06d}. Reply STOP to opt out.",
                        "delivered",
                        None,
                        None,
                        1,
                        0,
                        "-0.00790",
                        "USD",
                        None,
                        "http://127.0.0.1:9/status",
                        at,
                        at + 2.5,
                        at + 0.6,
                        EXTRA,
                    )
                )
            with store.transaction():
                store.executemany(
                    "INSERT INTO messages (sid, account_sid, direction, from_number, to_number,"
                    " body, status, error_code, error_message, num_segments, num_media, price,"
                    " price_unit, messaging_service_sid, status_callback, date_created,"
                    " date_updated, date_sent, extra)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    rows,
                )
            done += len(rows)
        return account.sid, sample, recipients
    finally:
        engine.close()


class Client:
    """One keep-alive connection with Basic auth; returns (seconds, parsed JSON)."""

    def __init__(self, base: str, auth: tuple[str, str]) -> None:
        import base64

        parts = urlsplit(base)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "Accept": "application/json"}

    def get(self, path: str) -> tuple[float, Any]:
        began = time.perf_counter()
        self.conn.request("GET", path, headers=self.headers)
        response = self.conn.getresponse()
        data = response.read()
        took = time.perf_counter() - began
        if response.status != 200:
            raise RuntimeError(f"GET {path} -> {response.status}: {data[:300]!r}")
        return took, json.loads(data)

    def get_text(self, path: str) -> tuple[float, str]:
        """A non-JSON GET (the inbox's HTML page): (seconds, body)."""
        began = time.perf_counter()
        self.conn.request("GET", path, headers={"Accept": "text/html"})
        response = self.conn.getresponse()
        data = response.read()
        took = time.perf_counter() - began
        if response.status != 200:
            raise RuntimeError(f"GET {path} -> {response.status}: {data[:300]!r}")
        return took, data.decode("utf-8")

    def close(self) -> None:
        self.conn.close()


def measure_inbox(
    client: Client, sample: list[str], recipients: list[str], runs: int
) -> list[tuple[str, float, int]]:
    """(name, median seconds, items) for the inbox's page and JSON list route."""
    rng = random.Random(11)
    first = client.get("/_smsim/messages?limit=50")[1]
    cursor = first["older"]
    results: list[tuple[str, float, int]] = []

    def series(name: str, make_path: Any, html: bool = False) -> None:
        times, items = [], 0
        for i in range(runs + 3):
            path = make_path()
            if html:
                took, text = client.get_text(path)
                items = text.count('"sid":')
            else:
                took, body = client.get(path)
                items = len(body["messages"])
            if i >= 3:  # the first three warm the caches
                times.append(took)
        results.append((name, c.median(times), items))

    series("page / (HTML, first 50)", lambda: "/", html=True)
    series("JSON /_smsim/messages?limit=50", lambda: "/_smsim/messages?limit=50")
    series("JSON older page (before=cursor)", lambda: f"/_smsim/messages?limit=50&before={cursor}")
    series(
        "JSON number=<recipient>",
        lambda: "/_smsim/messages?limit=50&" + urlencode({"number": rng.choice(recipients)}),
    )
    series("JSON status=delivered", lambda: "/_smsim/messages?limit=50&status=delivered")
    series("JSON q=<text> (matches all)", lambda: "/_smsim/messages?limit=50&q=reply+stop")
    series("JSON q=<text> (matches none)", lambda: "/_smsim/messages?limit=50&q=nothing+here")
    return results


def measure(
    client: Client, account: str, sample: list[str], recipients: list[str], n: int, total: int
) -> list[tuple[str, list[float], int]]:
    base = f"/2010-04-01/Accounts/{account}/Messages"
    rng = random.Random(7)
    results: list[tuple[str, list[float], int]] = []

    def series(name: str, paths: list[str], expect: int | None = None) -> None:
        times, count = [], 0
        for path in paths[:5]:  # warm-up, not measured
            client.get(path)
        for path in paths:
            took, body = client.get(path)
            times.append(took)
            count = len(body["messages"]) if "messages" in body else 1
            if expect is not None and count != expect:
                raise RuntimeError(f"{name}: {path} gave {count} items, expected {expect}")
        results.append((name, times, count))

    series("list first page (50)", [f"{base}.json?PageSize=50"] * n, 50)
    series(
        "list To=<recipient> (50)",
        [
            f"{base}.json?" + urlencode({"To": rng.choice(recipients), "PageSize": 50})
            for _ in range(n)
        ],
        min(50, total // len(recipients)),
    )
    series(
        "list next page by PageToken (50)",
        [
            f"{base}.json?" + urlencode({"PageSize": 50, "Page": 1, "PageToken": "PA" + sid})
            for sid in rng.sample(sample[10:], min(n, len(sample) - 10))
        ],
        50,
    )
    series("list PageSize=1000", [f"{base}.json?PageSize=1000"] * max(10, n // 10), 1000)
    series("fetch by SID", [f"{base}/{rng.choice(sample)}.json" for _ in range(n)])
    series(
        "list Page=200 (OFFSET 10,000)",
        [f"{base}.json?PageSize=50&Page=200"] * max(10, n // 10),
        50,
    )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 messages, fewer requests")
    parser.add_argument("--messages", type=int, help="stored messages (default 1,000,000)")
    parser.add_argument("--requests", type=int, help="requests per list/fetch kind (default 500)")
    parser.add_argument("--keep", help="build (or reuse) the database at this path")
    parser.add_argument("--inbox-runs", type=int, default=9, help="timed requests per inbox kind")
    args = parser.parse_args(argv)
    messages = args.messages or (100_000 if args.quick else 1_000_000)
    n = args.requests or (100 if args.quick else 500)

    c.header(f"Memory: smsim serve over {messages:,} stored messages")
    with tempfile.TemporaryDirectory(prefix="smsim-bench-") as tmp:
        db = Path(args.keep) if args.keep else Path(tmp) / "million.db"
        meta = db.with_suffix(".sample.json")
        began = time.perf_counter()
        if args.keep and db.exists() and meta.exists():
            account, sample, recipients = json.loads(meta.read_text())
            print(f"database: reused {db.name}")
        else:
            account, sample, recipients = build_db(db, messages)
            if args.keep:
                meta.write_text(json.dumps([account, sample, recipients]))
            took = time.perf_counter() - began
            print(
                f"database: {messages:,} rows inserted in {took:.1f} s ({messages / took:,.0f}/s)"
            )
        size = sum(p.stat().st_size for p in db.parent.glob(db.name + "*")) / 1024 / 1024
        print(f"database: {size:,.0f} MiB on disk")
        began = time.perf_counter()
        server = c.Serve("--db", str(db))
        start_s = time.perf_counter() - began
        try:
            sid, token = server.full_account
            if sid != account:
                raise RuntimeError("the served database is not the one just built")
            time.sleep(1.0)  # let start-up settle before reading the idle figure
            idle = c.tree_memory_mb(server.pid)
            client = Client(server.url, (sid, token))
            results = measure(client, sid, sample, recipients, n, messages)
            inbox = measure_inbox(client, sample, recipients, args.inbox_runs)
            client.close()
            after = c.tree_memory_mb(server.pid)
            peak = c.tree_peak_mb(server.pid)
        finally:
            server.stop()
    print(f"serve   : started in {start_s:.2f} s")
    print()
    print(
        c.table(
            [
                ["idle (Pss)", idle],
                ["after the requests (Pss)", after],
                ["peak (sum of VmHWM, an upper bound)", peak],
            ],
            ["memory, all of smsim serve's processes", "MiB"],
        )
    )
    print()
    rows = [
        [
            name,
            len(times),
            c.percentile(times, 50) * 1000,
            c.percentile(times, 99) * 1000,
            max(times) * 1000,
            items,
        ]
        for name, times, items in results
    ]
    print(c.table(rows, ["request", "n", "p50 ms", "p99 ms", "max ms", "items"]))
    # The target is about the pages clients ask for: 50 messages, token-paged.
    list_p99 = max(c.percentile(t, 99) * 1000 for name, t, _ in results if name.endswith("(50)"))
    rss_verdict = "met" if peak < TARGET_RSS_MB else "MISSED"
    list_verdict = "met" if list_p99 < TARGET_LIST_P99_MS else "MISSED"
    print(
        f"\ntarget  : resident memory < {TARGET_RSS_MB:.0f} MB -> peak {peak:.0f} MiB,"
        f" {rss_verdict}"
    )
    print(
        f"target  : list p99 < {TARGET_LIST_P99_MS:.0f} ms -> worst list p99 {list_p99:.1f} ms "
        f"(50-message pages), {list_verdict}"
    )
    print()
    print(
        c.table(
            [[name, args.inbox_runs, took * 1000, items] for name, took, items in inbox],
            ["web inbox request", "n", "median ms", "items"],
        )
    )
    first_page = max(took for name, took, _ in inbox[:2]) * 1000
    inbox_verdict = "met" if first_page < TARGET_INBOX_MS else "MISSED"
    print(
        f"\ntarget  : inbox first page < {TARGET_INBOX_MS:.0f} ms -> page and JSON route "
        f"{first_page:.1f} ms at worst (median), {inbox_verdict}"
    )
    print(f"load    : {c.load()} (1/5/15 min) at end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
