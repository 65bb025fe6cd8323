"""Campaign benchmark: client -> simulator -> status callbacks -> client stats, end to end.

    python bench/campaign.py [--quick] [--runs N] [--recipients N] [--baseline-workers W]

Each run starts ``smsim serve`` (one process on an SQLite file, ``real`` clock, every
lifecycle delay 0 so messages move as fast as the simulator can move them, and
``enforce_throughput: false``) and ``smsim client serve`` (one process on its own SQLite
file, its default 8 senders and its signed callback receiver at ``/sms/twilio``), each as
users run them; adds a provider for the simulator's full account, then sends one
campaign to N distinct recipients through the client's HTTP API and waits until the
client's stats are final (every message delivered or failed, none pending).

Stages, as shares of the end-to-end time:

- **202**: ``POST /api/campaigns`` until it answers 202 (validated, stored, queued);
- **send**: from the 202 until ``GET /api/campaigns/{id}?wait=`` shows the campaign
  ``finished`` (every recipient handed to Twilio: the client has every SID; callbacks
  already flow during this stage);
- **drain**: from then until the client's stats show no pending message (the remaining
  lifecycle steps and callbacks);
- **stats**: the final ``GET /api/campaigns/{id}/stats``.

Each run also measures the baseline, a bare Flask app on gunicorn with one worker per core
(``--baseline-workers``), just before its campaign; the figure is messages/s end to end
over the baseline's requests/s. Target: 0.10 or better.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import _common as c

# POST /api/campaigns answers 202 once the campaign is stored and queued, before sending:
# with 10,000 recipients within a second (was a test's assertion; timing belongs here).
TARGET_ACCEPT_MS = 1000.0
# End to end against a bare Flask app on gunicorn on every core, measured in the same run
# (each message is about three HTTP exchanges, so 0.33 would be perfect; two smsim
# processes share these cores).
TARGET_RATIO = 0.10
BASELINE_SECONDS = 5.0


def _http(method: str, url: str, body: Any = None, timeout: float = 600) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def one_run(workdir: Path, run: int, recipients: int) -> dict[str, float]:
    config = c.write_config(
        workdir / "campaign.yaml",
        enforce_throughput=False,
        delays={"sending": 0, "sent": 0, "delivered": 0},
    )
    sim = c.Serve("--db", str(workdir / f"sim{run}.db"), "--config", str(config))
    client = c.Serve(
        "--db",
        str(workdir / f"client{run}.db"),
        "--twilio-base-url",
        sim.url,
        command=("client", "serve"),
    )
    try:
        sid, token = sim.full_account
        provider = _http(
            "POST",
            client.url + "/api/providers",
            {
                "nickname": "bench",
                "account_sid": sid,
                "auth_token": token,
                "from_numbers": ["+15005550006"],
            },
        )
        numbers = [f"+1415{n:07d}" for n in range(2_000_000, 2_000_000 + recipients)]
        sim_cpu0, client_cpu0 = c.tree_cpu_seconds(sim.pid), c.tree_cpu_seconds(client.pid)
        began = time.perf_counter()
        accepted = _http(
            "POST",
            client.url + "/api/campaigns",
            {
                "message": "Hello from the smsim campaign benchmark",
                "recipients": numbers,
                "provider": provider["id"],
            },
        )
        accepted_at = time.perf_counter()
        campaign_id = accepted["id"]
        sent = accepted
        while sent["state"] == "sending":
            sent = _http("GET", f"{client.url}/api/campaigns/{campaign_id}?wait=30")
        send_done = time.perf_counter()
        progress = sent["progress"]
        callbacks_during_send = progress["delivered"] + progress["failed"]
        callbacks_during_send -= progress["failed_on_send"]

        def final() -> bool:
            stats = _http("GET", f"{client.url}/api/campaigns/{campaign_id}/stats")
            return bool(stats["pending"] == 0 and stats["sent"] == recipients)

        drained = c.wait_until(final, timeout=600, every=0.05)
        drain_done = time.perf_counter()
        stats = _http("GET", f"{client.url}/api/campaigns/{campaign_id}/stats")
        end = time.perf_counter()
        sim_cpu = c.tree_cpu_seconds(sim.pid) - sim_cpu0
        client_cpu = c.tree_cpu_seconds(client.pid) - client_cpu0
        if not drained:
            raise RuntimeError(f"campaign not final after 600 s: {stats}")
        if stats["delivered"] != recipients:
            raise RuntimeError(f"expected {recipients} delivered, stats say {stats}")
        total = end - began
        return {
            "total_s": total,
            "mps": recipients / total,
            "accept_ms": 1000 * (accepted_at - began),
            "send_s": send_done - began,
            "drain_s": drain_done - send_done,
            "stats_s": end - drain_done,
            "send_mps": recipients / (send_done - began),
            "during_send": callbacks_during_send / recipients,
            "sim_cpu_ms": 1000 * sim_cpu / recipients,
            "client_cpu_ms": 1000 * client_cpu / recipients,
            "sim_rss": c.tree_memory_mb(sim.pid),
        }
    finally:
        client.stop()
        sim.stop()


def main(argv: list[str] | None = None) -> int:
    # The client's waitress notes every queued request ("Task queue depth is N").
    logging.getLogger("waitress").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 run of 2,000 recipients")
    parser.add_argument("--runs", type=int, help="runs (default 3; --quick 1)")
    parser.add_argument("--recipients", type=int, help="default 10,000 (--quick 2,000)")
    parser.add_argument(
        "--baseline-workers",
        type=int,
        default=c.CORES,
        help=f"the baseline's gunicorn worker processes (default the cores: {c.CORES})",
    )
    args = parser.parse_args(argv)
    runs = args.runs or (1 if args.quick else 3)
    recipients = args.recipients or (2_000 if args.quick else 10_000)

    c.header(f"Campaign: {recipients:,} recipients, client -> smsim serve -> callbacks -> stats")
    results = []
    baseline = c.GunicornBaseline(args.baseline_workers)
    try:
        with tempfile.TemporaryDirectory(prefix="smsim-bench-") as tmp:
            for run in range(runs):
                ceiling = c.run_load(c.baseline_load(baseline), duration=BASELINE_SECONDS).rps
                result = one_run(Path(tmp), run, recipients)
                result["baseline_rps"] = ceiling
                result["ratio"] = result["mps"] / ceiling if ceiling else float("nan")
                results.append(result)
                print(
                    f"  run {run + 1}/{runs}: {result['mps']:.0f} msg/s, baseline "
                    f"{ceiling:.0f} req/s, ratio {result['ratio']:.3f} (load {c.load()})"
                )
    finally:
        baseline.stop()
    rows = []
    for i, r in enumerate(results):
        rows.append(_row(f"run {i + 1}", r))
    med = {k: c.median([r[k] for r in results]) for k in results[0]}
    rows.append(_row("median", med))
    print()
    print(
        c.table(
            rows,
            [
                "",
                "msg/s e2e",
                "total s",
                "202 ms",
                "send s (share)",
                "drain s (share)",
                "stats s (share)",
                "send msg/s",
                "final during send",
                "smsim CPU ms/msg",
                "client CPU ms/msg",
            ],
        )
    )
    accept_verdict = "met" if med["accept_ms"] <= TARGET_ACCEPT_MS else "MISSED"
    print(
        f"\n202     : <= {TARGET_ACCEPT_MS:.0f} ms for {recipients:,} recipients -> "
        f"{med['accept_ms']:.0f} ms, {accept_verdict}"
    )
    print(f"e2e     : {med['mps']:.0f} msg/s end to end")
    ratio_verdict = "met" if med["ratio"] >= TARGET_RATIO else "MISSED"
    print(
        f"ratio   : >= {TARGET_RATIO} of a bare Flask app on gunicorn"
        f" ({args.baseline_workers} worker(s), "
        f"{med['baseline_rps']:.0f} req/s in the same runs) -> {med['ratio']:.3f}, "
        f"{ratio_verdict}"
    )
    print(f"load    : {c.load()} (1/5/15 min) at end")
    return 0


def _row(name: str, r: dict[str, float]) -> list[Any]:
    total = r["total_s"]
    return [
        name,
        r["mps"],
        total,
        r["accept_ms"],
        f"{r['send_s']:.2f} ({r['send_s'] / total:.0%})",
        f"{r['drain_s']:.2f} ({r['drain_s'] / total:.0%})",
        f"{r['stats_s']:.3f} ({r['stats_s'] / total:.1%})",
        r["send_mps"],
        f"{r['during_send']:.0%}",
        r["sim_cpu_ms"],
        r["client_cpu_ms"],
    ]


if __name__ == "__main__":
    sys.exit(main())
