"""One server as several processes: a parent that binds the port and supervises, HTTP
worker processes that accept on the socket it bound, and background processes (the
simulator's delivery engine, the client's campaign runner).

CPython runs one thread of Python at a time per process, so a server in one process uses
one core at most (docs/scaling.md). This module is the pre-fork model gunicorn uses,
small enough to own:

- the parent binds the listening socket, then forks every child before it opens a
  database or starts a thread (a fork copies only the forking thread: a lock another
  thread held would stay locked in the child for ever);
- every HTTP child accepts on a socket the parent bound: its own one on the shared port
  where the system has ``SO_REUSEPORT`` (the kernel then spreads new connections evenly;
  on one shared socket the first child to wake takes a whole burst), else one shared
  socket. The parent keeps them open, so a restarted child takes over its socket and
  connections that arrived meanwhile wait in its queue;
- a child that dies (``kill -9``, a crash) is started again; one that keeps dying within
  seconds of its start makes the parent give up (exit 1) instead of looping;
- SIGTERM or SIGINT to the parent stops the children in order (SIGTERM, then SIGKILL
  after :data:`STOP_SECONDS`); a child whose parent vanished (``kill -9`` of the parent)
  stops on its own within :data:`TICK_SECONDS`;
- each child writes one byte to a pipe once it serves, so the parent announces "ready"
  only when every child is;
- a child can run at a lower priority (``niceness``): the processes that take in new work
  (HTTP workers creating messages, the client's campaign sender) yield the CPU to those
  that finish it (delivery, the callback receiver) when the machine is saturated, so a
  backlog of callbacks cannot grow for as long as a load test lasts.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from smsim.serving import BACKLOG, serve_in_thread, stop_server, url_for

TICK_SECONDS = 0.1  # how often parent and children look at their signals and each other
STOP_SECONDS = 10.0  # a child still running this long after SIGTERM gets SIGKILL
QUICK_DEATH_SECONDS = 5.0  # a child that dies this soon after its start died "quickly"
QUICK_DEATHS_ALLOWED = 5  # in a row, before the parent stops restarting it


class ChildLife:
    """What a child process reads to know when to stop, and how it says it is ready."""

    def __init__(self, parent_pid: int, ready_fd: int) -> None:
        self._parent_pid = parent_pid
        self._ready_fd = ready_fd
        self._stop_asked = False
        signal.signal(signal.SIGTERM, self._on_term)
        # Ctrl-C reaches the whole process group; the parent turns it into an orderly
        # SIGTERM to each child, so the child itself ignores it.
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    def _on_term(self, number: int, frame: FrameType | None) -> None:
        self._stop_asked = True

    @property
    def should_stop(self) -> bool:
        """A stop was asked for, or the parent is gone (then nobody would ever ask)."""
        return self._stop_asked or os.getppid() != self._parent_pid

    def ready(self) -> None:
        """Tell the parent this child serves (once)."""
        if self._ready_fd >= 0:
            with contextlib.suppress(OSError):
                os.write(self._ready_fd, b".")
                os.close(self._ready_fd)
            self._ready_fd = -1

    def wait(self, alive: Callable[[], bool]) -> None:
        """Return once the child should stop or ``alive()`` turns false."""
        while not self.should_stop and alive():
            time.sleep(TICK_SECONDS)


ChildMain = Callable[[ChildLife], int]


def serve_until_stopped(life: ChildLife, server: Any, ident: str) -> None:
    """An HTTP child's life: serve ``server`` (bound by :func:`smsim.serving.bind_server`
    on the parent's socket), say ready, and stop it cleanly when the child should stop."""
    thread = serve_in_thread(server, ident)
    life.ready()
    life.wait(thread.is_alive)
    stop_server(server, thread)


@dataclass
class Child:
    """One kind of child process and, while it runs, its pid."""

    name: str
    main: ChildMain
    niceness: int = 0  # added to the child's nice value (lower priority) at its start
    pid: int = 0
    started: float = 0.0
    quick_deaths: int = 0
    restarts: int = 0
    history: list[int] = field(default_factory=list)  # pids it has had


def listen(host: str, port: int, reuse_port: bool = False) -> socket.socket:
    """A listening TCP socket on ``host:port`` (0 picks a free port)."""
    infos = socket.getaddrinfo(host or None, port, 0, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except BaseException:
        sock.close()
        raise
    return sock


def listen_for(count: int, host: str, port: int) -> list[socket.socket]:
    """``count`` listening sockets on one port, one per HTTP child: separate sockets
    with ``SO_REUSEPORT`` on Linux, whose kernel spreads connections among them (the
    BSDs and macOS accept the option but give every connection to one socket), else one
    socket ``count`` times."""
    if count < 2 or not sys.platform.startswith("linux"):
        return [listen(host, port)] * count
    first = listen(host, port, reuse_port=True)
    sockets = [first]
    try:
        for _ in range(count - 1):
            sockets.append(listen(host, first.getsockname()[1], reuse_port=True))
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class Supervisor:
    """Forks the children, restarts any that dies, stops them all on request."""

    def __init__(self, children: list[Child], label: str) -> None:
        self.children = children
        self.label = label  # "smsim serve", for the lines it prints
        self._ready_read, self._ready_write = os.pipe()
        self._parent_pid = os.getpid()
        self.failed = ""  # why the supervisor gave up, if it did

    # -- starting -------------------------------------------------------------------------

    def start(self) -> None:
        for child in self.children:
            self._fork(child)

    def _fork(self, child: Child) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the parent's code
            code = 1
            try:
                os.close(self._ready_read)
                if child.niceness:
                    os.nice(child.niceness)
                code = child.main(ChildLife(self._parent_pid, self._ready_write))
            except BaseException:
                traceback.print_exc()
            finally:
                with contextlib.suppress(Exception):
                    sys.stdout.flush()
                    sys.stderr.flush()
                os._exit(code)
        child.pid = pid
        child.started = time.monotonic()
        child.history.append(pid)

    def wait_ready(self, timeout: float) -> bool:
        """Block until every child said it serves; False if one died first or time ran
        out (``failed`` says which)."""
        deadline = time.monotonic() + timeout
        expected = len(self.children)
        seen = 0
        while seen < expected:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.failed = f"not every process was ready within {timeout:g} s"
                return False
            readable, _, _ = select.select([self._ready_read], [], [], min(remaining, 0.2))
            if readable:
                seen += len(os.read(self._ready_read, expected))
            for child, status in self._reap():
                self.failed = f"{self._describe(child, status)} while starting"
                return False
        return True

    # -- supervising ----------------------------------------------------------------------

    def supervise(self, should_stop: Callable[[], bool]) -> int:
        """Restart children that die until ``should_stop()``; then stop them all.
        Returns the exit code: 0, or 1 if a child kept dying."""
        try:
            while not should_stop():
                self._drain_ready()
                for child, status in self._reap():
                    if not self._restart(child, status):
                        return 1
                time.sleep(TICK_SECONDS)
            return 0
        finally:
            self.stop()

    def _restart(self, child: Child, status: int) -> bool:
        quick = time.monotonic() - child.started < QUICK_DEATH_SECONDS
        child.quick_deaths = child.quick_deaths + 1 if quick else 0
        what = self._describe(child, status)
        if child.quick_deaths > QUICK_DEATHS_ALLOWED:
            self.failed = f"{what}, {child.quick_deaths} times in a row soon after starting"
            print(f"{self.label}: {self.failed}; stopping", file=sys.stderr, flush=True)
            return False
        print(f"{self.label}: {what}; starting it again", file=sys.stderr, flush=True)
        child.restarts += 1
        self._fork(child)
        return True

    def _drain_ready(self) -> None:
        """Restarted children say "ready" too; nobody waits for it."""
        while select.select([self._ready_read], [], [], 0)[0]:
            if not os.read(self._ready_read, 64):
                return

    def _reap(self) -> list[tuple[Child, int]]:
        """Children that ended since the last look, with their wait status."""
        ended = []
        for child in self.children:
            if not child.pid:
                continue
            try:
                pid, status = os.waitpid(child.pid, os.WNOHANG)
            except ChildProcessError:
                pid, status = child.pid, 0
            if pid:
                child.pid = 0
                ended.append((child, status))
        return ended

    @staticmethod
    def _describe(child: Child, status: int) -> str:
        pid = child.history[-1] if child.history else 0
        if os.WIFSIGNALED(status):
            how = f"was killed by {signal.Signals(os.WTERMSIG(status)).name}"
        else:
            how = f"exited with {os.waitstatus_to_exitcode(status)}"
        return f"the {child.name} process (pid {pid}) {how}"

    # -- stopping -------------------------------------------------------------------------

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """SIGTERM every child, wait for them, SIGKILL whoever is left."""
        for child in self.children:
            if child.pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while any(c.pid for c in self.children) and time.monotonic() < deadline:
            self._reap()
            time.sleep(0.02)
        for child in self.children:
            if child.pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError, OSError):
                    os.waitpid(child.pid, 0)
                child.pid = 0
        for fd in (self._ready_read, self._ready_write):
            with contextlib.suppress(OSError):
                os.close(fd)

    def pids(self) -> dict[str, int]:
        """Each running child's pid by name."""
        return {child.name: child.pid for child in self.children if child.pid}


class ProcessGroup:
    """A server run as processes, seen from its parent: one listening socket per HTTP
    child (:func:`listen_for`), kept open so that a restarted child accepts on its own,
    and the supervisor of every child. Subclasses say which children (:meth:`children`)."""

    READY_SECONDS = 60.0

    def __init__(self, label: str, host: str, port: int, workers: int) -> None:
        self.label = label
        self.host = host
        self.workers = workers
        self.sockets = listen_for(workers, host, port)
        self.port = int(self.sockets[0].getsockname()[1])
        self.supervisor: Supervisor | None = None

    @property
    def url(self) -> str:
        return url_for(self.host, self.port)

    def children(self) -> list[Child]:
        raise NotImplementedError

    def start(self) -> bool:
        """Fork every child; True once all serve (else :attr:`failed` says why)."""
        self.supervisor = Supervisor(self.children(), self.label)
        self.supervisor.start()
        return self.supervisor.wait_ready(self.READY_SECONDS)

    @property
    def failed(self) -> str:
        return self.supervisor.failed if self.supervisor is not None else ""

    def started(self) -> list[dict[str, Any]]:
        """Each running child as the ready file lists it: ``{"role", "pid"}``."""
        pids = self.supervisor.pids() if self.supervisor is not None else {}
        return [{"role": name, "pid": pid} for name, pid in pids.items()]

    def supervise(self, should_stop: Callable[[], bool]) -> int:
        """Keep the children running until ``should_stop()``, then stop everything;
        returns the exit code (1 if a child kept dying)."""
        assert self.supervisor is not None
        code = self.supervisor.supervise(should_stop)
        self.stop()
        return code

    def stop(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop()
        for sock in set(self.sockets):  # one socket may stand for every child
            sock.close()
