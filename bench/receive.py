"""Receiver benchmark: signed status callbacks POSTed to ``smsim client serve``'s
``/sms/twilio``, with the receiver's fast path (client/fast_receive.py) and without it.

    python bench/receive.py [--quick] [--runs N] [--duration S] [--processes P] [--threads T]

Each run starts, back to back in an order that alternates from run to run, the client as
users run it (one process on an SQLite file) and the same client with its fast paths
turned off (``bench/_via_flask.py``), adds a provider, and POSTs one signed ``delivered``
callback for a message the client never sent, over and over: the signature is checked,
the provider found, the callback recorded once (a repeat is a no-op by its unique key)
and answered 200. So both paths do the same work past HTTP, and the ratio of their
requests/s is what answering in front of Flask saves. The table shows every run and the
median.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import _common as c

from smsim.contracts.signature import SIGNATURE_HEADER, compute_signature

ACCOUNT_SID = "AC" + "b" * 32
AUTH_TOKEN = "c" * 32
VIA_FLASK = (str(Path(__file__).resolve().parent / "_via_flask.py"),)
MODES = {"fast path": ("-m", "smsim"), "via Flask": VIA_FLASK}


def _post_json(url: str, body: Any) -> Any:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def measure(workdir: Path, name: str, args: argparse.Namespace) -> c.LoadResult:
    client = c.Serve(
        "--db",
        str(workdir / f"{name.replace(' ', '-')}.db"),
        "--twilio-base-url",
        "http://127.0.0.1:9",
        command=("client", "serve"),
        launcher=MODES[name.split(" run ")[0]],
    )
    try:
        _post_json(
            client.url + "/api/providers",
            {
                "nickname": "bench",
                "account_sid": ACCOUNT_SID,
                "auth_token": AUTH_TOKEN,
                "from_numbers": ["+15005550006"],
            },
        )
        url = client.url + "/sms/twilio?account=smsim-client"
        sid = "SM" + "d" * 32
        form = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": ACCOUNT_SID,
            "MessageStatus": "delivered",
            "SmsStatus": "delivered",
            "From": "+15005550006",
            "To": "+14155550100",
            "ApiVersion": "2010-04-01",
        }
        signature = compute_signature(url, form, AUTH_TOKEN)
        load = c.Load(url, urlencode(form).encode(), extra={SIGNATURE_HEADER: signature})
        return c.run_load(
            load,
            processes=args.processes,
            threads=args.threads,
            duration=args.duration,
            expect=200,
        )
    finally:
        client.stop()


def main(argv: list[str] | None = None) -> int:
    parser = c.load_arguments(__doc__, runs=5, quick_runs=2, duration=8)
    args = parser.parse_args(argv)
    args.runs = args.runs or (2 if args.quick else 5)
    args.duration = args.duration or (3.0 if args.quick else 8.0)

    c.header("Receiver: POST /sms/twilio (signed status callbacks), fast path vs. Flask")
    runs: list[dict[str, c.LoadResult]] = []
    with tempfile.TemporaryDirectory(prefix="smsim-bench-") as tmp:
        for run in range(args.runs):
            order = list(MODES) if run % 2 == 0 else list(reversed(MODES))
            measured = {name: measure(Path(tmp), f"{name} run {run}", args) for name in order}
            runs.append(measured)
            gain = measured["fast path"].rps / measured["via Flask"].rps
            print(f"  run {run + 1}/{args.runs}: fast path / Flask {gain:.2f}x (load {c.load()})")
    rows = []
    for name in MODES:
        for n, measured in enumerate(runs):
            result = measured[name]
            rows.append([f"{name} run {n + 1}", result.rps, result.p(50), result.p(99)])
        rows.append(
            [
                f"{name} median",
                c.median([r[name].rps for r in runs]),
                c.median([r[name].p(50) for r in runs]),
                c.median([r[name].p(99) for r in runs]),
            ]
        )
    print()
    print(c.table(rows, ["", "req/s", "p50 ms", "p99 ms"]))
    gain = c.median([r["fast path"].rps / r["via Flask"].rps for r in runs])
    print(f"\nfast    : receives with the fast path / through Flask -> {gain:.2f}x")
    print(f"load    : {c.load()} (1/5/15 min) at end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
