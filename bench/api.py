"""API benchmark: POST Messages.json against ``smsim serve`` vs. a bare Flask app on gunicorn.

    python bench/api.py [--quick] [--runs N] [--duration S] [--processes P] [--threads T]
                        [--baseline-workers W] [--only creates|callbacks|creates-via-flask]

Needs the ``bench`` extra (``pip install ".[bench]"``: gunicorn). Each run measures, back
to back on the same machine, in an order that alternates from run to run:

- **baseline**: a bare Flask app (``bench/_baseline_app.py``: read the form, answer 201
  with a message-sized JSON) on gunicorn with one worker process per core
  (``--baseline-workers``, default the machine's cores), in its own processes: the most
  these cores serve through Flask.
- **creates**: ``smsim serve`` as shipped on SQLite: one process (HTTP threads and
  delivery threads), a database file, real clock, default delays, with
  ``enforce_throughput: false`` (Twilio's per-sender pacing would otherwise queue and
  refuse a load test, as Twilio does); no StatusCallback.
- **callbacks**: the same with a StatusCallback on every message to a fast receiver (a
  minimal WSGI app in its own process), so ``sent`` and ``delivered`` callbacks flow during
  the measurement, as in a user's load test; then the time until every callback has
  arrived after the load stops (``drain s``).
- **creates-via-flask**: as **creates**, with the create fast path turned off
  (``bench/_via_flask.py``): what the fast path (simulator/http/fast_create.py) saves.

The load is P processes x T threads, each an ``http.client`` connection (kept alive where
the server allows) sending one request at a time. Figures: requests/s, p50/p99 latency,
CPU per request, and each smsim mode's ratio to the baseline of the same run; the table
shows every run and the median.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import _common as c

# The speed targets (bench/README.md, "Targets"), each a ratio to the baseline measured
# in the same run, one smsim process on SQLite against gunicorn on every core: creates
# at least 0.35 of it; with a StatusCallback on every message 0.15, the backlog drained
# within 3 s after the load.
TARGET_RATIO = {"creates": 0.35, "callbacks": 0.15}
MODES = ("creates", "callbacks", "creates-via-flask")
VIA_FLASK = (str(Path(__file__).resolve().parent / "_via_flask.py"),)
TARGET_DRAIN_SECONDS = 3.0
FORM = c.CREATE_FORM


@dataclass
class Measured:
    result: c.LoadResult
    cpu_ms: float  # server CPU per request created (with its steps and callbacks)
    drain_s: float | None = None  # callbacks: until the last one arrived after the load


def measure_smsim(
    workdir: Path, name: str, receiver: c.WsgiProcess | None, args: argparse.Namespace
) -> Measured:
    config = c.write_config(workdir / "bench.yaml", enforce_throughput=False)
    launcher = VIA_FLASK if name.endswith("via-flask") else ("-m", "smsim")
    server = c.Serve(
        "--db", str(workdir / f"{name}.db"), "--config", str(config), launcher=launcher
    )
    try:
        sid, token = server.full_account
        form = dict(FORM)
        if receiver is not None:
            form["StatusCallback"] = receiver.url + "/cb"
        load = c.Load(
            f"{server.url}/2010-04-01/Accounts/{sid}/Messages.json",
            urlencode(form).encode(),
            (sid, token),
        )
        before_callbacks = receiver.count() if receiver else 0
        cpu_before = c.tree_cpu_seconds(server.pid)
        result = c.run_load(
            load, processes=args.processes, threads=args.threads, duration=args.duration
        )
        load_stopped = time.monotonic()
        drain_s = None
        if receiver is not None:
            # Every callback must arrive (2 per message: sent, delivered); bounded wait.
            expected = before_callbacks + 2 * result.ok
            if c.wait_until(lambda: receiver.count() >= expected, timeout=120, every=0.05):
                drain_s = time.monotonic() - load_stopped
            else:
                drain_s = float("nan")
        cpu_used = c.tree_cpu_seconds(server.pid) - cpu_before
        return Measured(result, 1000 * cpu_used / max(result.ok, 1), drain_s)
    finally:
        server.stop()


def measure_baseline(baseline: c.GunicornBaseline, args: argparse.Namespace) -> Measured:
    load = c.baseline_load(baseline)
    cpu_before = baseline.cpu_seconds()
    result = c.run_load(
        load, processes=args.processes, threads=args.threads, duration=args.duration
    )
    cpu_used = baseline.cpu_seconds() - cpu_before
    return Measured(result, 1000 * cpu_used / max(result.ok, 1))


def main(argv: list[str] | None = None) -> int:
    parser = c.load_arguments(__doc__, runs=5, quick_runs=2, duration=8)
    parser.add_argument(
        "--baseline-workers",
        type=int,
        default=c.CORES,
        help=f"the baseline's gunicorn worker processes (default the cores: {c.CORES})",
    )
    parser.add_argument(
        "--only",
        choices=MODES,
        help="measure one smsim mode only (the baseline is always measured)",
    )
    args = parser.parse_args(argv)
    args.runs = args.runs or (2 if args.quick else 5)
    args.duration = args.duration or (3.0 if args.quick else 8.0)
    modes = [m for m in MODES if args.only in (None, m)]

    c.header("API: POST /2010-04-01/Accounts/{sid}/Messages.json")
    print(
        f"load    : {args.processes} processes x {args.threads} clients, "
        f"{args.duration:g} s per measurement, {args.runs} runs; smsim serve: one process"
        f" on SQLite; baseline: bare Flask on gunicorn, {args.baseline_workers} worker"
        " process(es)"
    )
    runs: list[dict[str, Measured]] = []
    receiver = c.WsgiProcess(threads=8)
    baseline = c.GunicornBaseline(args.baseline_workers)
    try:
        with tempfile.TemporaryDirectory(prefix="smsim-bench-") as tmp:
            for run in range(args.runs):
                order = ["baseline", *modes]
                if run % 2:
                    order.reverse()
                measured: dict[str, Measured] = {}
                for name in order:
                    if name == "baseline":
                        measured[name] = measure_baseline(baseline, args)
                    else:
                        measured[name] = measure_smsim(
                            Path(tmp),
                            f"run{run}-{name}",
                            receiver if name == "callbacks" else None,
                            args,
                        )
                runs.append(measured)
                ratios = ", ".join(
                    f"{m} {measured[m].result.rps / measured['baseline'].result.rps:.3f}"
                    for m in modes
                )
                print(f"  run {run + 1}/{args.runs}: ratio {ratios} (load {c.load()})")
    finally:
        baseline.stop()
        receiver.stop()

    rows = []
    for name in ["baseline", *modes]:
        for n, measured in enumerate(runs):
            m = measured[name]
            ratio = m.result.rps / measured["baseline"].result.rps
            rows.append(
                [
                    f"{name} run {n + 1}",
                    m.result.rps,
                    m.result.p(50),
                    m.result.p(99),
                    m.cpu_ms,
                    ratio,
                    "-" if m.drain_s is None else m.drain_s,
                    m.result.errors,
                ]
            )
        rows.append(
            [
                f"{name} median",
                c.median([r[name].result.rps for r in runs]),
                c.median([r[name].result.p(50) for r in runs]),
                c.median([r[name].result.p(99) for r in runs]),
                c.median([r[name].cpu_ms for r in runs]),
                c.median([r[name].result.rps / r["baseline"].result.rps for r in runs]),
                "-" if name != "callbacks" else c.median([r[name].drain_s or 0.0 for r in runs]),
                "",
            ]
        )
    print()
    print(
        c.table(
            rows,
            ["", "req/s", "p50 ms", "p99 ms", "CPU ms/req", "ratio", "drain s", "errors"],
        )
    )
    print()
    if "creates" in modes and "creates-via-flask" in modes:
        gain = c.median([r["creates"].result.rps / r["creates-via-flask"].result.rps for r in runs])
        print(f"fast    : creates with the fast path / through Flask -> {gain:.2f}x")
    for name in (m for m in modes if m in TARGET_RATIO):
        ratio = c.median([r[name].result.rps / r["baseline"].result.rps for r in runs])
        verdict = "met" if ratio >= TARGET_RATIO[name] else "MISSED"
        print(
            f"target  : {name}: smsim >= {TARGET_RATIO[name]:.0%} of the baseline"
            f" -> {ratio:.1%}, {verdict}"
        )
        if name == "callbacks":
            drain = c.median([r[name].drain_s or float("nan") for r in runs])
            drained = "met" if drain <= TARGET_DRAIN_SECONDS else "MISSED"
            print(
                f"target  : callbacks drained <= {TARGET_DRAIN_SECONDS:g} s after the load"
                f" -> {drain:.2f} s, {drained}"
            )
    print(f"load    : {c.load()} (1/5/15 min) at end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
