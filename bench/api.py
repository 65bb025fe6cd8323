"""API benchmark: POST Messages.json against ``smsim serve`` vs. a minimal WSGI app.

    python bench/api.py [--quick] [--runs N] [--duration S] [--processes P] [--threads T]

Each run measures, back to back on the same machine, in alternating order:

- **smsim**: ``smsim serve`` as shipped (file database, real clock, default delays, 16
  threads) with ``enforce_throughput: false`` (Twilio's per-sender pacing would otherwise
  queue and refuse a load test, as Twilio does). Every message carries a StatusCallback to
  a minimal receiver (its own process), so ``sent`` and ``delivered`` callbacks are
  flowing during the measurement, as in a user's load test.
- **ceiling**: a minimal WSGI app (read the form, answer 201 with a message-sized JSON)
  on the same server stack (waitress, same threads and settings), in its own process.

The load is P processes x T threads, each a keep-alive ``http.client`` connection sending
one request at a time. Figures: requests/s, p50/p99 latency, and the smsim/ceiling
ratio; the table shows every run and the median. Target on 2 cores: ratio >= 0.5.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import _common as c

TARGET_RATIO = 0.5


def measure_smsim(
    workdir: Path, run: int, receiver: c.WsgiProcess, args: argparse.Namespace
) -> tuple[c.LoadResult, dict[str, float]]:
    config = c.write_config(workdir / "bench.yaml", enforce_throughput=False)
    server = c.Serve("--db", str(workdir / f"run{run}.db"), "--config", str(config))
    try:
        sid, token = server.full_account
        form = {"To": "+14155550100", "From": "+15005550006", "Body": "smsim benchmark message"}
        if args.callbacks:
            form["StatusCallback"] = receiver.url + "/cb"
        body = urlencode(form).encode()
        load = c.Load(f"{server.url}/2010-04-01/Accounts/{sid}/Messages.json", body, (sid, token))
        before_callbacks = receiver.count()
        cpu_before = c.cpu_seconds(server.pid)
        result = c.run_load(
            load, processes=args.processes, threads=args.threads, duration=args.duration
        )
        cpu_used = c.cpu_seconds(server.pid) - cpu_before
        during = receiver.count() - before_callbacks
        # Then every callback must arrive (2 per message: sent, delivered); bounded wait.
        expected = before_callbacks + (2 * result.ok if args.callbacks else 0)
        began = time.monotonic()
        drained = c.wait_until(lambda: receiver.count() >= expected, timeout=120, every=0.2)
        extra = {
            "callbacks_during": during,
            "drain_s": time.monotonic() - began,
            "drained": float(drained),
            "cpu_per_req_ms": 1000 * cpu_used / max(result.ok, 1),
            "rss_mb": c.rss_mb(server.pid),
        }
        return result, extra
    finally:
        server.stop()


def measure_ceiling(ceiling: c.WsgiProcess, args: argparse.Namespace) -> c.LoadResult:
    body = urlencode(
        {
            "To": "+14155550100",
            "From": "+15005550006",
            "Body": "smsim benchmark message",
            "StatusCallback": "http://127.0.0.1:1/cb",
        }
    ).encode()
    load = c.Load(f"{ceiling.url}/2010-04-01/Accounts/AC00/Messages.json", body, ("AC00", "x"))
    return c.run_load(load, processes=args.processes, threads=args.threads, duration=args.duration)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 short runs")
    parser.add_argument("--runs", type=int, help="runs (default 5; --quick 2)")
    parser.add_argument("--duration", type=float, help="seconds per measurement (default 8)")
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--threads", type=int, default=4, help="client threads per process")
    parser.add_argument(
        "--server-threads",
        type=int,
        default=16,
        help="the ceiling's waitress threads (smsim serve keeps its default, 16)",
    )
    parser.add_argument(
        "--no-callbacks",
        dest="callbacks",
        action="store_false",
        help="diagnosis only: no StatusCallback, so no webhook traffic during the run",
    )
    args = parser.parse_args(argv)
    args.runs = args.runs or (2 if args.quick else 5)
    args.duration = args.duration or (3.0 if args.quick else 8.0)

    c.header(
        "API: POST /2010-04-01/Accounts/{sid}/Messages.json"
        + ("" if args.callbacks else " (no callbacks: diagnosis)")
    )
    print(
        f"load    : {args.processes} processes x {args.threads} keep-alive clients, "
        f"{args.duration:g} s per measurement, {args.runs} runs"
    )
    rows = []
    ratios, smsim_rps, ceil_rps, p50s, p99s, cp50s, cp99s = [], [], [], [], [], [], []
    receiver = c.WsgiProcess("receiver", threads=8)
    ceiling = c.WsgiProcess("ceiling", threads=args.server_threads)
    try:
        with tempfile.TemporaryDirectory(prefix="smsim-bench-") as tmp:
            for run in range(args.runs):
                if run % 2 == 0:
                    ceil = measure_ceiling(ceiling, args)
                    sim, extra = measure_smsim(Path(tmp), run, receiver, args)
                else:
                    sim, extra = measure_smsim(Path(tmp), run, receiver, args)
                    ceil = measure_ceiling(ceiling, args)
                ratio = sim.rps / ceil.rps
                ratios.append(ratio)
                smsim_rps.append(sim.rps)
                ceil_rps.append(ceil.rps)
                p50s.append(sim.p(50))
                p99s.append(sim.p(99))
                cp50s.append(ceil.p(50))
                cp99s.append(ceil.p(99))
                rows.append(
                    [
                        f"run {run + 1}",
                        sim.rps,
                        sim.p(50),
                        sim.p(99),
                        ceil.rps,
                        ceil.p(50),
                        ceil.p(99),
                        ratio,
                        int(extra["callbacks_during"]),
                        extra["drain_s"] if extra["drained"] else "timeout",
                        extra["cpu_per_req_ms"],
                        sim.errors + ceil.errors,
                    ]
                )
                print(f"  run {run + 1}/{args.runs}: ratio {ratio:.2f} (load {c.load()})")
    finally:
        ceiling.stop()
        receiver.stop()
    rows.append(
        [
            "median",
            c.median(smsim_rps),
            c.median(p50s),
            c.median(p99s),
            c.median(ceil_rps),
            c.median(cp50s),
            c.median(cp99s),
            c.median(ratios),
            "",
            "",
            "",
            "",
        ]
    )
    print()
    print(
        c.table(
            rows,
            [
                "",
                "smsim req/s",
                "p50 ms",
                "p99 ms",
                "ceiling req/s",
                "p50 ms",
                "p99 ms",
                "ratio",
                "callbacks in run",
                "drain s",
                "CPU ms/req",
                "errors",
            ],
        )
    )
    ratio = c.median(ratios)
    verdict = "met" if ratio >= TARGET_RATIO else "MISSED"
    print(f"\ntarget  : smsim >= {TARGET_RATIO:.0%} of the ceiling -> {ratio:.0%}, {verdict}")
    print(f"load    : {c.load()} (1/5/15 min) at end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
