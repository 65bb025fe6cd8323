"""Running a server in the foreground: one runner for ``smsim serve``, ``smsim client
serve`` and ``smsim up``.

A :class:`Foreground` installs the SIGTERM/SIGINT handlers before anything starts (so a
stop that follows the banner at once still ends the process cleanly, exit 0), checks
``--log-level`` and ``--ready-file`` and sets up logging, prints the banner, and with
``--ready-file PATH`` writes one JSON object, atomically, once the server answers: its
``url`` and ``pid`` and whatever the command adds (the simulator's accounts). Tools read
that file instead of parsing the banner, whose wording is for people. The exit codes are
written here once: 0 after a stop, 1 when the ready file could not be written, 2 for a
refused start (one line naming the flag or key, by :func:`refuse`).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from smsim import websafety
from smsim.commands import _startup_checks as checks

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
TICK_SECONDS = 0.1  # how often the foreground loop looks at the flag and the server


class StopSignals:
    """SIGTERM and SIGINT set a flag that the foreground loop reads.

    The handler only sets a boolean: raising from it (as before) could interrupt the
    server's start-up half-way, and taking a lock in it could deadlock with the main
    thread holding that same lock.
    """

    def __init__(self) -> None:
        self.requested = False
        if threading.current_thread() is threading.main_thread():
            for number in STOP_SIGNALS:
                signal.signal(number, self._handle)

    def _handle(self, number: int, frame: FrameType | None) -> None:
        self.requested = True

    def wait(self, alive: Callable[[], bool]) -> None:
        """Return once a stop was asked for or ``alive()`` turns false."""
        while not self.requested and alive():
            time.sleep(TICK_SECONDS)  # a signal interrupts the sleep; its flag is seen next


def wait_until_answers(url: str, path: str, timeout: float = 10.0) -> None:
    """Block until ``GET url+path`` answers (any status) or raise ``OSError``.

    A wildcard bind (0.0.0.0, ::) is asked over loopback."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    deadline = time.monotonic() + timeout
    while True:
        conn = http.client.HTTPConnection(host, parts.port, timeout=timeout)
        try:
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)
        finally:
            conn.close()


def write_ready_file(path: str, payload: dict[str, Any]) -> None:
    """Write ``payload`` as JSON to ``path`` atomically: a reader sees no file or the
    whole of it (written beside it, flushed, then renamed over it)."""
    target = Path(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(payload, out, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def announce_ready(path: str | None, url: str, probe_path: str, extra: dict[str, Any]) -> None:
    """With ``--ready-file``: once ``url`` answers, write ``{url, pid, **extra}``."""
    if not path:
        return
    wait_until_answers(url, probe_path)
    write_ready_file(path, {"url": url, "pid": os.getpid(), **extra})


def announce_or_report(
    command: str, path: str | None, url: str, probe_path: str, extra: dict[str, Any]
) -> bool:
    """:func:`announce_ready`; if the file cannot be written, say so on stderr as
    ``command: --ready-file: ...``, leave no file and return False."""
    try:
        announce_ready(path, url, probe_path, extra)
    except OSError as exc:
        print(f"{command}: --ready-file: {exc}", file=sys.stderr)
        clear_ready_file(path)
        return False
    return True


def clear_ready_file(path: str | None) -> None:
    """Remove a ready file (a stale one before start, ours after stop), so its presence
    always means "this server answers"."""
    if path:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


STOPPED = 0  # stopped by a signal, or the server ended
NOT_ANNOUNCED = 1  # the ready file could not be written (the server was stopped)


class Foreground:
    """One server command in the foreground, from its first check to its exit code.

    ``command`` names it in every refusal and warning (``smsim client serve: ...``);
    ``probe_path`` is a path the server answers once it serves, for the ready file."""

    def __init__(self, command: str, ready_file: str | None = None, probe_path: str = "/") -> None:
        self.command = command
        self.ready_file = ready_file
        self.probe_path = probe_path
        self.stop = StopSignals()  # first: a stop right after the banner is clean

    def prepare(self, log_level: str) -> None:
        """Check ``--log-level`` and ``--ready-file`` (StartupError naming the flag),
        clear a stale ready file and set up logging."""
        level = checks.log_level(log_level)
        if self.ready_file:
            checks.report_path(self.ready_file, "--ready-file")
        clear_ready_file(self.ready_file)
        logging.basicConfig(level=level, format="%(levelname)s %(name)s %(message)s")
        # Under a load test every thread is busy by design; waitress would warn about its
        # task queue depth on every request.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    def refuse(self, message: object) -> int:
        """Say why the start is refused, in one line after the command's name; exit 2."""
        return checks.refuse(self.command, message)

    def warn_if_exposed(self, host: str, control_token: str | None) -> None:
        """docs/security.md: a control plane bound beyond loopback without a token."""
        warning = websafety.exposure_warning(self.command, host, control_token)
        if warning:
            print(warning, file=sys.stderr, flush=True)

    @staticmethod
    def banner(lines: Iterable[str]) -> None:
        """The banner, for people (tools read the ready file)."""
        print("\n".join(lines), flush=True)

    def announce(self, url: str, extra: dict[str, Any]) -> bool:
        """Write the ready file once ``url`` answers; False, said on stderr, if it failed."""
        return announce_or_report(self.command, self.ready_file, url, self.probe_path, extra)

    def serve(
        self,
        url: str,
        extra: dict[str, Any],
        alive: Callable[[], bool],
        shutdown: Callable[[], None],
    ) -> int:
        """Announce, then wait for a stop signal or ``alive()`` to turn false; shut down
        and return the exit code."""
        if not self.announce(url, extra):
            shutdown()
            return NOT_ANNOUNCED
        self.stop.wait(alive)
        shutdown()
        return self.finish(STOPPED)

    def supervise(
        self,
        url: str,
        extra: dict[str, Any],
        supervise: Callable[[Callable[[], bool]], int],
        shutdown: Callable[[], None],
    ) -> int:
        """Announce a group of processes, then let ``supervise`` run them until it is
        told to stop (its argument says when a stop was asked for); its code is the exit
        code."""
        if not self.announce(url, extra):
            shutdown()
            return NOT_ANNOUNCED
        return self.finish(supervise(lambda: self.stop.requested))

    def finish(self, code: int) -> int:
        """The ready file removed (the server no longer answers); ``code`` returned."""
        clear_ready_file(self.ready_file)
        return code
