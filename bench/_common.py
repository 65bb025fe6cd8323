"""Shared pieces of the benchmarks: processes, a load generator, a receiver, statistics.

Nothing here is a test. Every loop is bounded in count and in time, and every server
listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import json
import multiprocessing as mp
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

# `smsim serve` as a process; URL and accounts come from its --ready-file JSON.
from smsim.testing import ServeProcess as Serve  # noqa: F401 - used as c.Serve

HOST = "127.0.0.1"
#: the baseline's gunicorn workers by default: one per core, the most these cores serve
CORES = os.cpu_count() or 1


# -- the machine and its load -----------------------------------------------------------------


def load_arguments(
    doc: str, runs: int, quick_runs: int, duration: float
) -> argparse.ArgumentParser:
    """The parser every load benchmark starts from: runs, seconds per measurement, and
    the load generator's processes and threads (defaults as its ``--help`` says)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    short = "1 short run" if quick_runs == 1 else f"{quick_runs} short runs"
    parser.add_argument("--quick", action="store_true", help=short)
    parser.add_argument("--runs", type=int, help=f"runs (default {runs}; --quick {quick_runs})")
    parser.add_argument(
        "--duration", type=float, help=f"seconds per measurement (default {duration:g})"
    )
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--threads", type=int, default=4, help="client threads per process")
    return parser


def machine() -> str:
    """One line: CPU model, cores, memory, Python."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f", {int(line.split()[1]) / 1024 / 1024:.0f} GiB RAM"
    except OSError:
        pass
    return (
        f"{model}, {os.cpu_count()} cores{mem}, "
        f"Python {platform.python_version()} on {platform.system()}"
    )


def load() -> str:
    """The 1/5/15-minute load averages (other work on the machine while measuring)."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def header(title: str) -> None:
    print(f"== {title}")
    print(f"machine : {machine()}")
    print(f"load    : {load()} (1/5/15 min) at start")


# -- statistics -------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (``p`` in 0..100) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(rows: Sequence[Sequence[Any]], head: Sequence[str]) -> str:
    """A plain text table, columns right-aligned except the first."""
    cells = [[str(c) for c in head], *[[_cell(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(head))]
    lines = []
    for n, row in enumerate(cells):
        parts = [
            row[i].ljust(widths[i]) if i == 0 else row[i].rjust(widths[i]) for i in range(len(head))
        ]
        lines.append("  ".join(parts))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


# -- processes --------------------------------------------------------------------------------


def _tree(pid: int) -> list[int]:
    """``pid`` and its live children (``smsim serve``'s worker and delivery processes)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [pid, *(int(child) for child in children.read_text().split())]
    except OSError:
        return [pid]


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def tree_memory_mb(pid: int) -> float:
    """Memory of a process and its children in MiB: the sum of their proportional set
    sizes (Pss: a page shared by k processes counts 1/k in each), so pages the forked
    workers share with their parent are counted once, not once per process."""
    total_kib = 0
    for member in _tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kib += int(line.split()[1])
    return total_kib / 1024


def tree_peak_mb(pid: int) -> float:
    """The sum of each process' peak resident memory (VmHWM) in MiB: an upper bound of
    the tree's peak (shared pages count in every process that touched them)."""
    return sum(_status_kib(member, "VmHWM") for member in _tree(pid)) / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process (and its threads) used so far."""
    fields_ = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields_[11]) + int(fields_[12])) / ticks


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a process and its live children (gunicorn's workers). A child restarted during the
    measurement would lose its predecessor's CPU; none is, in a healthy run."""
    total = 0.0
    for member in _tree(pid):
        with contextlib.suppress(OSError):  # a child that just exited
            total += cpu_seconds(member)
    return total


def write_config(path: Path, **settings: Any) -> Path:
    """A ``--config`` file (JSON is valid YAML)."""
    path.write_text(json.dumps(settings), encoding="utf-8")
    return path


# -- the fast callback receiver, served by waitress in its own process ---------------------------


class _Counter:
    """A receiver's count of POSTs, readable with ``GET /count``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0

    def app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ["REQUEST_METHOD"] == "GET":
            with self.lock:
                body = str(self.count).encode()
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [body]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length:
            environ["wsgi.input"].read(length)
        with self.lock:
            self.count += 1
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "0")])
        return [b""]


def _serve_wsgi(threads: int, port_out: Any) -> None:
    import logging

    from smsim.serving import bind_server

    logging.getLogger("waitress").setLevel(logging.ERROR)  # "Task queue depth" notes
    app = _Counter().app
    # The simulator's own waitress settings (smsim.serving), so only the app differs.
    server = bind_server(app, HOST, 0, threads, "bench")
    port_out.put(int(server.effective_port))
    server.run()


class WsgiProcess:
    """The fast callback receiver (counts POSTs) on waitress, in a child process."""

    def __init__(self, threads: int = 16) -> None:
        ctx = mp.get_context("spawn")
        port_out = ctx.Queue()
        self.proc = ctx.Process(target=_serve_wsgi, args=(threads, port_out), daemon=True)
        self.proc.start()
        self.port = port_out.get(timeout=60)
        self.url = f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        return int(self.proc.pid or 0)

    def count(self) -> int:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=10)
        try:
            conn.request("GET", "/count")
            return int(conn.getresponse().read())
        finally:
            conn.close()

    def stop(self) -> None:
        if self.proc.is_alive():
            self.proc.terminate()
        self.proc.join(10)


# -- the baseline: a bare Flask app on gunicorn ------------------------------------------------


def free_port() -> int:
    """A port nothing listens on right now (for servers that cannot report port 0)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class GunicornBaseline:
    """``bench/_baseline_app.py`` (bare Flask, message-sized JSON) on gunicorn with
    ``workers`` worker processes: what smsim is measured against.

    The workers are gunicorn's ``gthread`` kind with as many threads as ``smsim serve``
    (16), so connections stay alive as they do with smsim; the default ``sync`` worker
    closes every connection and measured about half as fast here (684-990 vs 1,732-1,922
    req/s, one worker, load ~10), which would flatter smsim's ratio.

    Needs the ``bench`` extra (``pip install ".[bench]"``).
    """

    def __init__(self, workers: int, threads: int = 16) -> None:
        self.workers = workers
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--bind",
            f"{HOST}:{self.port}",
            "--chdir",
            str(Path(__file__).resolve().parent),
            "--log-level",
            "warning",
            "_baseline_app:app",
        ]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if not wait_until(self._answers, timeout=60, every=0.1):
            self.stop()
            raise RuntimeError("gunicorn did not answer within 60 s (pip install '.[bench]'?)")

    def _answers(self) -> bool:
        if self.proc.poll() is not None:
            err = self.proc.stderr.read().decode() if self.proc.stderr else ""
            raise RuntimeError(f"gunicorn exited {self.proc.returncode}: {err}")
        try:
            with socket.create_connection((HOST, self.port), timeout=1):
                return True
        except OSError:
            return False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu_seconds(self) -> float:
        """CPU of the master and its live workers."""
        return tree_cpu_seconds(self.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


# -- the load generator -----------------------------------------------------------------------


@dataclass
class Load:
    """What to send: one POST, the same for every request."""

    url: str  # the full request URL
    body: bytes
    auth: tuple[str, str] | None = None
    extra: dict[str, str] = field(default_factory=dict)  # more headers (a signature)

    def headers(self) -> dict[str, str]:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            **self.extra,
        }
        if self.auth:
            token = base64.b64encode(f"{self.auth[0]}:{self.auth[1]}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        return headers


@dataclass
class LoadResult:
    seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    bodies: list[bytes] = field(default_factory=list)  # kept only when asked

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else float("nan")

    def p(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000


def _client_thread(
    load: Load,
    expect: int,
    start_at: float,
    stop_at: float,
    max_requests: int,
    keep_bodies: bool,
    out: list[Any],
) -> None:
    parts = urlsplit(load.url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = load.headers()
    latencies: list[float] = []
    bodies: list[bytes] = []
    statuses: dict[int, int] = {}
    errors = 0
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    while time.time() < start_at:
        time.sleep(min(0.01, max(0.0, start_at - time.time())))
    sent = 0
    while sent < max_requests and time.time() < stop_at:
        sent += 1
        began = time.perf_counter()
        try:
            conn.request("POST", path, body=load.body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            continue
        took = time.perf_counter() - began
        statuses[response.status] = statuses.get(response.status, 0) + 1
        if response.status == expect:
            latencies.append(took)
            if keep_bodies:
                bodies.append(data)
        else:
            errors += 1
    conn.close()
    out.append((latencies, errors, statuses, bodies))


def _client_process(
    load: Load,
    threads: int,
    expect: int,
    start_at: float,
    duration: float,
    max_requests: int,
    keep_bodies: bool,
    result_out: Any,
) -> None:
    out: list[Any] = []
    stop_at = start_at + duration
    workers = [
        threading.Thread(
            target=_client_thread,
            args=(load, expect, start_at, stop_at, max_requests, keep_bodies, out),
        )
        for _ in range(threads)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(duration + 60)
    result_out.put(out)


def run_load(
    load: Load,
    *,
    processes: int = 2,
    threads: int = 4,
    duration: float = 5.0,
    max_requests: int = 1_000_000,
    expect: int = 201,
    keep_bodies: bool = False,
) -> LoadResult:
    """``processes`` x ``threads`` keep-alive clients POSTing ``load`` for ``duration`` s.

    Each client is one ``http.client`` connection, one request at a time (closed loop).
    Bounded: ``max_requests`` per client and ``duration`` seconds.
    """
    ctx = mp.get_context("spawn")
    result_out = ctx.Queue()
    start_at = time.time() + 1.5  # time for the children to start and connect
    procs = [
        ctx.Process(
            target=_client_process,
            args=(load, threads, expect, start_at, duration, max_requests, keep_bodies, result_out),
            daemon=True,
        )
        for _ in range(processes)
    ]
    for p in procs:
        p.start()
    result = LoadResult(seconds=duration)
    for _ in procs:
        for latencies, errors, statuses, bodies in result_out.get(timeout=duration + 120):
            result.latencies.extend(latencies)
            result.errors += errors
            result.bodies.extend(bodies)
            for code, n in statuses.items():
                result.statuses[code] = result.statuses.get(code, 0) + n
    for p in procs:
        p.join(10)
    return result


# A create as smsim's benchmarks send it; the baseline answers the same request.
CREATE_FORM = {"To": "+14155550100", "From": "+15005550006", "Body": "smsim benchmark message"}


def baseline_load(baseline: GunicornBaseline) -> Load:
    """The create request, aimed at the bare-Flask baseline."""
    form = dict(CREATE_FORM, StatusCallback="http://127.0.0.1:1/cb")
    return Load(
        f"{baseline.url}/2010-04-01/Accounts/AC00/Messages.json",
        urlencode(form).encode(),
        ("AC00", "x"),
    )


def wait_until(predicate: Callable[[], bool], timeout: float, every: float = 0.05) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return predicate()


def get_json(url: str, auth: tuple[str, str] | None = None, timeout: float = 30) -> Any:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    headers = {"Accept": "application/json"}
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), None, headers)
        response = conn.getresponse()
        return json.loads(response.read())
    finally:
        conn.close()
