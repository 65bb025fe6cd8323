"""PostgreSQL benchmark: ``smsim serve --db postgresql://...`` as one instance and as two
instances on one database, against bare Flask on gunicorn with ``-w`` = cores.

    python bench/postgres.py [--quick] [--runs N] [--duration S] [--url URL]

Needs the ``bench`` and ``postgres`` extras and PostgreSQL's server programs (Debian:
``postgresql``). Unless ``--url`` names a server, it starts a throwaway PostgreSQL
cluster of its own (as the ``postgres`` user when run as root) on a free port, in a temp
folder, with ``synchronous_commit=off`` (a load-test simulator keeps no data worth an
fsync per commit; SQLite runs with ``synchronous=OFF`` for the same reason), and stops it
at the end. Each measurement gets a new database.

Each run measures, back to back on the same machine:

- **baseline**: ``bench/_baseline_app.py`` on gunicorn with one worker per core;
- **1 instance**: ``smsim serve --workers 1 --delivery-processes 1``;
- **2 instances**: two such ``smsim serve`` on the same database, the load split evenly
  (a load balancer without stickiness would do the same);

each for creates alone and with a StatusCallback on every message (then also the time
until every callback arrived after the load stopped). CPU per message is read from
``/proc``: smsim's processes, and PostgreSQL's (every process of the cluster; only with
the cluster this script started, since a shared server's CPU is not all ours). From those
two figures it prints the expected throughput of N machines running smsim against one
PostgreSQL, with the arithmetic.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import _common as c

CORES = os.cpu_count() or 1
SERVE_ARGS = ("--workers", "1", "--delivery-processes", "1")
SETTINGS = {"enforce_throughput": False}  # as bench/api.py: no per-sender pacing


@dataclass
class Measured:
    rps: float
    p50: float
    p99: float
    smsim_cpu_ms: float  # smsim's CPU per message (creates, steps and callbacks)
    pg_cpu_ms: float | None  # PostgreSQL's CPU per message (None: not ours to read)
    drain_s: float | None = None
    errors: int = 0


# -- a PostgreSQL cluster of our own ----------------------------------------------------------


class Cluster:
    """A throwaway PostgreSQL cluster on a free port, stopped by :meth:`stop`."""

    def __init__(self) -> None:
        bindir = _pg_bindir()
        self.folder = Path(tempfile.mkdtemp(prefix="smsim-bench-pg-"))
        self.port = c.free_port()
        data = self.folder / "data"
        self._as_postgres = os.geteuid() == 0  # PostgreSQL refuses to run as root
        if self._as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(
            f"{bindir}/initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
            " -c synchronous_commit=off -c max_connections=300 -c shared_buffers=256MB"
        )
        self._ctl = [f"{bindir}/pg_ctl", "-D", str(data), "-l", str(self.folder / "log")]
        self._run(*self._ctl, "-o", options, "-w", "start")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        pid_line = (data / "postmaster.pid").read_text().splitlines()[0]
        self.pid = int(pid_line)

    def _run(self, *argv: str) -> None:
        command = ["runuser", "-u", "postgres", "--", *argv] if self._as_postgres else list(argv)
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def cpu_seconds(self) -> float:
        """The postmaster's and every backend's CPU (live ones: backends of a finished
        measurement are gone, so read it before they close)."""
        return c.tree_cpu_seconds(self.pid)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(*self._ctl, "-m", "fast", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def _pg_bindir() -> str:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return str(found[-1].parent)
    initdb = shutil.which("initdb")
    if initdb is None:
        raise SystemExit(
            "PostgreSQL's server programs are missing (Debian: apt install postgresql)"
        )
    return str(Path(initdb).parent)


@contextlib.contextmanager
def fresh_database(server: str) -> Iterator[str]:
    import psycopg

    name = f"smsim_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    parts = urlsplit(server)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


# -- one measurement ----------------------------------------------------------------------


def measure_smsim(
    server_url: str,
    instances: int,
    receiver: c.WsgiProcess | None,
    cluster: Cluster | None,
    workdir: Path,
    args: argparse.Namespace,
) -> Measured:
    config = c.write_config(workdir / "bench.yaml", **SETTINGS)
    with fresh_database(server_url) as url:
        serves = [c.Serve("--db", url, "--config", str(config), *SERVE_ARGS)]
        try:
            serves += [
                c.Serve("--db", url, "--config", str(config), *SERVE_ARGS)
                for _ in range(instances - 1)
            ]
            sid, token = serves[0].full_account
            form = dict(c.CREATE_FORM)
            if receiver is not None:
                form["StatusCallback"] = receiver.url + "/cb"
            body = urlencode(form).encode()
            loads = [
                c.Load(f"{s.url}/2010-04-01/Accounts/{sid}/Messages.json", body, (sid, token))
                for s in serves
            ]
            before = receiver.count() if receiver else 0
            smsim_before = sum(c.tree_cpu_seconds(s.pid) for s in serves)
            pg_before = cluster.cpu_seconds() if cluster else 0.0
            result = _split_load(loads, args)
            stopped = time.monotonic()
            drain_s = None
            if receiver is not None:
                expected = before + 2 * result.ok
                if c.wait_until(lambda: receiver.count() >= expected, timeout=180, every=0.05):
                    drain_s = time.monotonic() - stopped
                else:
                    drain_s = float("nan")
            else:  # steps still due finish before the CPU is read
                c.wait_until(lambda: _pending(serves[0]) == 0, timeout=60, every=0.05)
            smsim_cpu = sum(c.tree_cpu_seconds(s.pid) for s in serves) - smsim_before
            pg_cpu = cluster.cpu_seconds() - pg_before if cluster else None
        finally:
            for serve in serves:
                serve.stop()
    ok = max(result.ok, 1)
    return Measured(
        result.rps,
        result.p(50),
        result.p(99),
        1000 * smsim_cpu / ok,
        None if pg_cpu is None else 1000 * pg_cpu / ok,
        drain_s,
        result.errors,
    )


def _pending(serve: c.Serve) -> int:
    return int(c.get_json(serve.url + "/_smsim/health")["pending_jobs"])


def _split_load(loads: list[c.Load], args: argparse.Namespace) -> c.LoadResult:
    """The same client count whatever the instance count: split evenly over them."""
    share = max(1, args.processes // len(loads))
    results: list[c.LoadResult] = []
    threads = [
        threading.Thread(
            target=lambda load=load: results.append(
                c.run_load(load, processes=share, threads=args.threads, duration=args.duration)
            )
        )
        for load in loads
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = c.LoadResult(seconds=args.duration)
    for result in results:
        total.latencies.extend(result.latencies)
        total.errors += result.errors
    return total


def measure_baseline(baseline: c.GunicornBaseline, args: argparse.Namespace) -> Measured:
    cpu_before = baseline.cpu_seconds()
    result = c.run_load(
        c.baseline_load(baseline),
        processes=args.processes,
        threads=args.threads,
        duration=args.duration,
    )
    cpu = baseline.cpu_seconds() - cpu_before
    return Measured(
        result.rps,
        result.p(50),
        result.p(99),
        1000 * cpu / max(result.ok, 1),
        None,
        None,
        result.errors,
    )


# -- the report -------------------------------------------------------------------------------


def projection(smsim_ms: float, pg_ms: float, cores: int) -> str:
    """Messages/s for N machines of ``cores`` cores each running smsim, against one
    PostgreSQL machine of ``cores`` cores, from the CPU each message costs each side."""
    per_machine = cores * 1000 / smsim_ms
    pg_limit = cores * 1000 / pg_ms
    lines = [
        f"  each message costs {smsim_ms:.2f} ms of smsim CPU and {pg_ms:.2f} ms of PostgreSQL CPU",
        f"  one smsim machine of {cores} cores: {cores} x 1000 / {smsim_ms:.2f}"
        f" = {per_machine:,.0f} msg/s at most",
        f"  one PostgreSQL of {cores} cores: {cores} x 1000 / {pg_ms:.2f}"
        f" = {pg_limit:,.0f} msg/s at most",
    ]
    for n in (1, 2, 4, 8):
        lines.append(
            f"  N = {n}: min({n} x {per_machine:,.0f}, {pg_limit:,.0f}) = "
            f"{min(n * per_machine, pg_limit):,.0f} msg/s"
        )
    lines.append(
        f"  PostgreSQL saturates first from N = {pg_limit / per_machine:.1f} smsim machines"
        " (then: a bigger database machine, not more smsim machines)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = c.load_arguments(__doc__, runs=3, quick_runs=1, duration=6)
    parser.add_argument("--url", help="a PostgreSQL server to use instead of starting one")
    args = parser.parse_args(argv)
    args.runs = args.runs or (1 if args.quick else 3)
    args.duration = args.duration or (3.0 if args.quick else 6.0)
    modes = ["1 instance", "1 instance + callbacks", "2 instances", "2 instances + callbacks"]

    c.header("PostgreSQL: POST Messages.json, one and two smsim instances on one database")
    cluster = None if args.url else Cluster()
    server_url = args.url or (cluster.url if cluster else "")
    print(
        f"load    : {args.processes} processes x {args.threads} clients, {args.duration:g} s"
        f" per measurement, {args.runs} runs; each instance: smsim serve {' '.join(SERVE_ARGS)};"
        f" baseline: bare Flask on gunicorn -w {CORES}"
    )
    print(
        "database: "
        + (
            "a server given by --url (its CPU is not measured)"
            if args.url
            else "a PostgreSQL cluster of this script's own on port"
            f" {cluster.port if cluster else 0} (synchronous_commit=off), on this machine"
        )
    )
    runs: list[dict[str, Measured]] = []
    receiver = c.WsgiProcess(threads=16)
    baseline = c.GunicornBaseline(CORES)
    try:
        with tempfile.TemporaryDirectory(prefix="smsim-bench-") as tmp:
            for run in range(args.runs):
                measured = {"baseline": measure_baseline(baseline, args)}
                for mode in modes if run % 2 == 0 else list(reversed(modes)):
                    instances = 2 if mode.startswith("2") else 1
                    measured[mode] = measure_smsim(
                        server_url,
                        instances,
                        receiver if "callbacks" in mode else None,
                        cluster,
                        Path(tmp),
                        args,
                    )
                runs.append(measured)
                ratios = ", ".join(
                    f"{m} {measured[m].rps / measured['baseline'].rps:.3f}" for m in modes
                )
                print(f"  run {run + 1}/{args.runs}: ratio {ratios} (load {c.load()})")
    finally:
        baseline.stop()
        receiver.stop()
        if cluster is not None:
            cluster.stop()

    rows = []
    for name in ["baseline", *modes]:
        for n, measured in enumerate(runs):
            rows.append(_row(f"{name} run {n + 1}", measured[name], measured["baseline"].rps))
        rows.append(
            [
                f"{name} median",
                c.median([r[name].rps for r in runs]),
                c.median([r[name].p50 for r in runs]),
                c.median([r[name].p99 for r in runs]),
                c.median([r[name].smsim_cpu_ms for r in runs]),
                _median_or_dash([r[name].pg_cpu_ms for r in runs]),
                c.median([r[name].rps / r["baseline"].rps for r in runs]),
                _median_or_dash([r[name].drain_s for r in runs]),
                "",
            ]
        )
    print()
    print(
        c.table(
            rows,
            [
                "",
                "msg/s",
                "p50 ms",
                "p99 ms",
                "smsim CPU ms/msg",
                "PG CPU ms/msg",
                "ratio",
                "drain s",
                "errors",
            ],
        )
    )
    if cluster is not None:
        for mode in ("2 instances", "2 instances + callbacks"):
            smsim_ms = c.median([r[mode].smsim_cpu_ms for r in runs])
            pg_ms = c.median([r[mode].pg_cpu_ms or 0.0 for r in runs])
            print(f"\nexpected figure for N machines ({mode}, medians):")
            print(projection(smsim_ms, pg_ms, CORES))
    return 0


def _row(name: str, m: Measured, baseline_rps: float) -> list[object]:
    return [
        name,
        m.rps,
        m.p50,
        m.p99,
        m.smsim_cpu_ms,
        "-" if m.pg_cpu_ms is None else m.pg_cpu_ms,
        m.rps / baseline_rps,
        "-" if m.drain_s is None else m.drain_s,
        m.errors,
    ]


def _median_or_dash(values: list[float | None]) -> object:
    known = [v for v in values if v is not None]
    return c.median(known) if known else "-"


if __name__ == "__main__":
    raise SystemExit(main())
