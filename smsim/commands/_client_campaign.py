"""``smsim client campaign`` and ``smsim client stats``: a campaign from the terminal.

Both talk to a running client's JSON API (``--url``, default ``http://127.0.0.1:8911``).
``campaign`` starts a campaign and follows its progress: a progress bar on a terminal, a
plain line per change (at most one a second) otherwise, for logs and CI. It exits 0 when
every recipient was handed to Twilio (refusals included: they are results), 1 when the
campaign could not be started, 3 when it was canceled meanwhile.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Protocol, TextIO

import requests

from smsim.client.recipients import ParsedRecipients
from smsim.client.recipients import parse as parse_recipients
from smsim.commands._argtypes import http_url, readable_file
from smsim.commands._startup_checks import refuse
from smsim.commands._target import short_reason
from smsim.websafety import TOKEN_ENV, control_headers

DEFAULT_URL = "http://127.0.0.1:8911"
POLL_SECONDS = 0.5
PLAIN_EVERY = 1.0
#: invalid lines named one by one; the rest are counted
SHOWN_INVALID = 20


def add_commands(sub: Any) -> None:
    """Register ``campaign`` and ``stats`` under ``smsim client``."""
    campaign = sub.add_parser(
        "campaign",
        help="send a campaign through a running client and follow its progress",
        description="Start a campaign through a running client and show its progress.",
    )
    campaign.add_argument("--provider", help="provider nickname or id (default: the default one)")
    campaign.add_argument("--message", required=True, help="the message text")
    campaign.add_argument(
        "--recipients",
        required=True,
        type=readable_file,
        help="file of E.164 numbers: one per line, or a CSV (every cell that is a number);"
        " a line with none refuses the campaign, naming it, unless --skip-invalid",
    )
    campaign.add_argument(
        "--skip-invalid",
        action="store_true",
        help="send to the valid numbers and list the lines that hold none",
    )
    campaign.add_argument("--name", help="campaign name")
    campaign.add_argument("--click-tracking", action="store_true", help="track links")
    campaign.add_argument("--template-id", help="Template ID, when the provider requires one")
    campaign.add_argument(
        "--url", default=DEFAULT_URL, type=http_url, help=f"client URL (default {DEFAULT_URL})"
    )
    _token_flag(campaign)
    campaign.set_defaults(handler=run_campaign)

    stats = sub.add_parser(
        "stats",
        help="a campaign's stats: sent, delivered, failed, clicks, errors",
        description="Print a campaign's Stats tab from a running client.",
    )
    stats.add_argument("campaign", type=int, help="campaign id")
    stats.add_argument(
        "--url", default=DEFAULT_URL, type=http_url, help=f"client URL (default {DEFAULT_URL})"
    )
    stats.add_argument("--json", action="store_true", help="print the raw stats JSON")
    _token_flag(stats)
    stats.set_defaults(handler=run_stats)


def _token_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--control-token",
        metavar="TOKEN",
        default=os.environ.get(TOKEN_ENV),
        help=f"the client's control token, if it has one (default: ${TOKEN_ENV})",
    )


def _session(args: argparse.Namespace) -> requests.Session:
    """A session that sends the control token (docs/security.md) when there is one."""
    http = requests.Session()
    http.headers.update(control_headers(args.control_token))
    return http


def read_recipients(path: Path) -> ParsedRecipients:
    """Phone numbers in a text or CSV file, in order, and every line that holds none
    (the rules of the dashboard's form: ``smsim.client.recipients``)."""
    return parse_recipients(path.read_text(encoding="utf-8-sig"))


def _name_invalid(parsed: ParsedRecipients, stream: TextIO, prefix: str) -> None:
    """One line per invalid line of the file (at most SHOWN_INVALID, then a count)."""
    for invalid in parsed.invalid[:SHOWN_INVALID]:
        print(f"{prefix}{invalid.describe()}", file=stream)
    if len(parsed.invalid) > SHOWN_INVALID:
        print(f"{prefix}... and {len(parsed.invalid) - SHOWN_INVALID} more lines", file=stream)


class Reporter(Protocol):
    def update(self, campaign: dict[str, Any]) -> None: ...
    def close(self) -> None: ...


class PlainReporter:
    """One line per change, at most one a second (and always the last one)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.last_line = ""
        self.last_time = 0.0

    def update(self, campaign: dict[str, Any]) -> None:
        line = progress_line(campaign)
        now = time.monotonic()
        final = campaign["state"] != "sending"
        if line != self.last_line and (final or now - self.last_time >= PLAIN_EVERY):
            print(line, file=self.stream, flush=True)
            self.last_line, self.last_time = line, now

    def close(self) -> None:
        pass


class BarReporter:
    """A rich progress bar: recipients handed to Twilio out of those targeted."""

    def __init__(self, console: Any = None) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self.progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            "{task.fields[detail]}",
            console=console,
        )
        self.task: Any = None
        self.progress.start()

    def update(self, campaign: dict[str, Any]) -> None:
        p = campaign["progress"]
        detail = f"{p['failed_on_send']} refused" if p["failed_on_send"] else ""
        if self.task is None:
            self.task = self.progress.add_task(
                f"campaign {campaign['id']}", total=p["targeted"], detail=detail
            )
        self.progress.update(self.task, completed=handed(campaign), detail=detail)

    def close(self) -> None:
        self.progress.stop()


def handed(campaign: dict[str, Any]) -> int:
    """Recipients the client is done with: handed to Twilio or refused by it."""
    p = campaign["progress"]
    return int(p["targeted"] - p["to_send"] - p["canceled"])


def progress_line(campaign: dict[str, Any]) -> str:
    p = campaign["progress"]
    line = f"campaign {campaign['id']} {campaign['state']}: {handed(campaign)}/{p['targeted']}"
    line += f" done ({p['handed_to_twilio']} handed to Twilio, {p['failed_on_send']} refused"
    if p["canceled"]:
        line += f", {p['canceled']} canceled"
    return line + ")"


def _error_text(resp: requests.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return f"HTTP {resp.status_code}: {resp.text[:200]}"
    fields = body.get("fields") or {}
    detail = "; ".join(f"{k}: {v}" for k, v in fields.items())
    return f"{body.get('error', 'error')}" + (f" ({detail})" if detail else "")


def run_campaign(args: argparse.Namespace) -> int:
    """Start the campaign, follow it to the end; see the module docstring for exit codes."""
    try:
        parsed = read_recipients(args.recipients)
    except UnicodeDecodeError:
        return refuse(
            "smsim client campaign",
            f"--recipients {args.recipients}: not a text file (UTF-8); give numbers one per"
            " line or a CSV",
        )
    except OSError as exc:
        return refuse(
            "smsim client campaign",
            f"--recipients {args.recipients}: cannot be read ({exc.strerror or exc})",
        )
    if parsed.header is not None:
        print(f"line 1 read as the CSV header: {parsed.header}", flush=True)
    if parsed.invalid and not (args.skip_invalid and parsed.numbers):
        count = len(parsed.invalid)
        print(
            f"smsim client campaign: not started: {count} line{'s' if count > 1 else ''}"
            f" of {args.recipients} hold no phone number:",
            file=sys.stderr,
        )
        _name_invalid(parsed, sys.stderr, "  ")
        advice = "fix them, or send to the others with --skip-invalid"
        print(advice if parsed.numbers else "no phone number is left to send to", file=sys.stderr)
        return 1
    _name_invalid(parsed, sys.stdout, "skipped ")
    recipients = parsed.numbers
    body: dict[str, Any] = {"message": args.message, "recipients": recipients}
    if args.provider:
        body["provider"] = int(args.provider) if args.provider.isdigit() else args.provider
    for key in ("name", "template_id"):
        if getattr(args, key):
            body[key] = getattr(args, key)
    if args.click_tracking:
        body["click_tracking"] = True
    url = args.url.rstrip("/")
    with _session(args) as http:
        try:
            resp = http.post(url + "/api/campaigns", json=body, timeout=60)
        except requests.RequestException as exc:
            print(
                f"smsim client campaign: cannot reach {url} ({short_reason(exc)})",
                file=sys.stderr,
            )
            return 1
        if resp.status_code != 202:
            print(f"smsim client campaign: not started: {_error_text(resp)}", file=sys.stderr)
            return 1
        campaign = resp.json()
        skipped = f" ({len(parsed.invalid)} lines skipped)" if parsed.invalid else ""
        print(f"campaign {campaign['id']}: {len(recipients)} recipients{skipped}", flush=True)
        reporter: Reporter = BarReporter() if sys.stderr.isatty() else PlainReporter(sys.stdout)
        try:
            campaign = follow(http, url, campaign, reporter)
        except requests.RequestException as exc:
            print(
                f"smsim client campaign: lost the client at {url} ({short_reason(exc)})",
                file=sys.stderr,
            )
            return 1
        finally:
            reporter.close()
    final = progress_line(campaign)
    if not (isinstance(reporter, PlainReporter) and reporter.last_line == final):
        print(final, flush=True)  # after a bar; plain lines have just said it
    print(f"stats: smsim client stats {campaign['id']} --url {url}", flush=True)
    return 3 if campaign["state"] == "canceled" else 0


def follow(
    http: requests.Session, url: str, campaign: dict[str, Any], reporter: Reporter
) -> dict[str, Any]:
    """Poll the campaign until it is no longer sending, reporting each state."""
    reporter.update(campaign)
    while campaign["state"] == "sending":
        time.sleep(POLL_SECONDS)
        resp = http.get(f"{url}/api/campaigns/{campaign['id']}", timeout=30)
        resp.raise_for_status()
        campaign = resp.json()
        reporter.update(campaign)
    return campaign


def run_stats(args: argparse.Namespace) -> int:
    """Print a campaign's Stats tab (or its JSON)."""
    url = args.url.rstrip("/")
    try:
        with _session(args) as http:
            resp = http.get(f"{url}/api/campaigns/{args.campaign}/stats", timeout=30)
            campaign = http.get(f"{url}/api/campaigns/{args.campaign}", timeout=30)
    except requests.RequestException as exc:
        print(f"smsim client stats: cannot reach {url} ({short_reason(exc)})", file=sys.stderr)
        return 1
    if resp.status_code != 200:
        print(f"smsim client stats: {_error_text(resp)}", file=sys.stderr)
        return 1
    stats = resp.json()
    if args.json:
        print(json.dumps(stats, indent=2))
        return 0
    info = campaign.json()
    ctr = "-" if stats["ctr"] is None else f"{100 * stats['ctr']:.1f}%"
    print(f"campaign {args.campaign} ({info.get('name') or 'unnamed'}): {info['state']}")
    rows = [
        ("Targeted", stats["targeted"]),
        ("Sent", stats["sent"]),
        ("Delivered", stats["delivered"]),
        ("Failed", stats["failed"]),
        ("Pending", stats["pending"]),
        ("Clicked", "-" if stats["clicked"] is None else stats["clicked"]),
        ("CTR", ctr),
        ("Replied", stats["replied"]),
    ]
    for label, value in rows:
        print(f"  {label:<10} {value}")
    if stats["error_details"]:
        print("  Errors:")
        for d in stats["error_details"]:
            print(f"    {d['code']:>6}  {d['count']:>6}  {d['description']}")
    return 0
