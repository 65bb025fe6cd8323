"""``smsim run``: run scenario files (the bundled library by default) and report.

In-process by default: each scenario gets its own simulator and client on free ports,
with a virtual clock, so the whole library runs in seconds. ``--against URL`` runs the
scenarios that need only the Twilio side against an already running ``smsim serve``.

Exit status: 0 when nothing failed (skips are fine), 1 when a scenario failed, 2 when
nothing was run: a file is not a valid scenario file, nothing was selected, or the
``--against`` server cannot be used (checked once, before the first scenario).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

from smsim.commands import _startup_checks as checks
from smsim.commands import _target
from smsim.commands._argtypes import http_url

TARGET_TIMEOUT = 10.0  # seconds the --against server has to answer its health check


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run scenario files (default: the bundled library)",
        description=(
            "Run *.scenario.yaml files against an in-process simulator and client "
            "(virtual time), or the Twilio-side ones against a running smsim serve."
        ),
        epilog=(
            "Exit status: 0 when no scenario failed (skips are fine), 1 when one failed, 2 "
            "when nothing was run (a bad scenario file, nothing selected, a usage error, or "
            "an --against server that cannot be reached or is not an smsim simulator)."
        ),
    )
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="scenario files or directories (default: library)"
    )
    parser.add_argument(
        "--against",
        metavar="URL",
        type=http_url,
        help="run against this running simulator (Twilio side only)",
    )
    parser.add_argument(
        "--control-token",
        metavar="TOKEN",
        help="the --against server's control token (default: $SMSIM_CONTROL_TOKEN)",
    )
    parser.add_argument(
        "--keep-accounts",
        action="store_true",
        help="with --against: leave the accounts the scenarios create (named 'scenario: "
        "<name> (<alias>)') on the server; by default they are removed with all they hold",
    )
    parser.add_argument("-k", dest="keyword", help="only scenarios whose id or tag contains this")
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        help="scenarios run at once, in worker processes (default: half the CPUs, 1 to 8)",
    )
    parser.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    parser.add_argument("--json", metavar="FILE", help="write a JSON report")
    parser.add_argument(
        "--seed",
        type=int,
        help="added to every scenario's seed (default 0; random with --against, and printed)",
    )
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("-q", "--quiet", action="store_true", help="no per-scenario progress")
    parser.add_argument("--no-table", action="store_true", help="no summary table")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from smsim.scenarios import report
    from smsim.scenarios.loader import ScenarioFileError, library_dir, load_paths
    from smsim.scenarios.runner import run_all, select
    from smsim.scenarios.world import RunOptions

    out = sys.stdout
    try:  # before any scenario runs: a report that cannot be written wastes the whole run
        for flag, path in (("--junit", args.junit), ("--json", args.json)):
            if path:
                checks.report_path(path, flag)
    except checks.StartupError as exc:
        return checks.refuse("smsim run", exc)
    if args.keep_accounts and not args.against:
        return checks.refuse(
            "smsim run",
            "--keep-accounts: only with --against (in-process simulators are thrown away)",
        )
    paths = args.paths or [library_dir()]
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        return checks.refuse("smsim run", f"no such file or directory: {missing[0]}")
    try:
        scenarios = select(load_paths(paths), args.keyword)
    except ScenarioFileError as exc:
        print(exc.render(), file=sys.stderr)
        print("\nsmsim run: nothing was run; fix the files above.", file=sys.stderr)
        return 2
    if not scenarios:
        print("smsim run: no scenarios selected", file=sys.stderr)
        return 2
    if args.list:
        try:
            for s in scenarios:
                tags = f"  [{', '.join(s.tags)}]" if s.tags else ""
                print(f"{report.display_path(s.file)}:{s.line}  {s.name}{tags}")
            sys.stdout.flush()
        except BrokenPipeError:  # e.g. piped into head: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    if args.against:  # once, here: a dead server would otherwise fail every scenario
        problem = _target.simulator_problem(args.against, args.control_token, TARGET_TIMEOUT)
        if problem:
            return checks.refuse(
                "smsim run", f"--against {args.against}: {problem}; nothing was run"
            )
    seed = args.seed
    if seed is None:
        seed = random.randrange(1, 1_000_000) if args.against else 0
    options = RunOptions(
        against=args.against,
        seed=seed,
        control_token=args.control_token,
        keep_accounts=args.keep_accounts,
    )
    # A scenario keeps about two cores busy (its simulator and client answer each other),
    # and each worker process pays for its imports: half the CPUs is the sweet spot.
    jobs = args.jobs or max(1, min(8, (os.cpu_count() or 1) // 2))
    where = f"against {args.against}" if args.against else "in-process, virtual time"
    noun = "scenario" if len(scenarios) == 1 else "scenarios"
    out.write(f"smsim run: {len(scenarios)} {noun}, {where}, {jobs} at a time, seed {seed}\n")
    out.flush()
    done = 0

    def progress(result: Any) -> None:
        nonlocal done
        done += 1
        if not args.quiet:
            out.write(report.progress_line(result, done, len(scenarios)) + "\n")
            out.flush()

    started = time.perf_counter()
    results = run_all(scenarios, options, jobs=jobs, on_result=progress)
    seconds = time.perf_counter() - started
    report.write_report(out, results, seconds, table=not args.no_table)
    if args.junit:
        Path(args.junit).write_bytes(report.junit_xml(results, seconds))
    if args.json:
        text = json.dumps(report.to_json(results, seconds), indent=2, ensure_ascii=False)
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    if seed and any(not r.ok for r in results):
        out.write(f"(rerun with --seed {seed} for the same values)\n")
    if args.against:
        _report_accounts_left(args.against, results)
    return 0 if all(r.ok for r in results) else 1


def _report_accounts_left(url: str, results: list[Any]) -> None:
    """Say which accounts the scenarios left on the --against server: all of them with
    --keep-accounts, else those that could not be removed (with the first reason)."""
    left = [sid for r in results for sid in r.accounts_left]
    if not left:
        return
    noun = "account" if len(left) == 1 else "accounts"
    errors = [r.cleanup_error for r in results if r.cleanup_error]
    if errors:
        print(
            f"smsim run: {len(left)} scenario {noun} could not be removed from {url}"
            f" ({errors[0]}); DELETE /_smsim/accounts/<sid> removes one",
            file=sys.stderr,
        )
    else:
        print(f"kept {len(left)} scenario {noun} on {url} (named 'scenario: ...'), as asked")
