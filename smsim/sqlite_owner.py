"""One process per SQLite database: a second smsim process on the same file is refused.

With SQLite every smsim program is one process (docs/scaling.md): its caches, change
feeds and job runner live in that process and see only its own writes. A second process
started on the same file by mistake (another ``smsim serve --db x.db --port 8911``)
would answer from stale caches and take the first one's running jobs for a dead
process's, sending their callbacks twice. So the first process to open a file holds an
exclusive ``flock`` on ``<file>-owner.lock`` for as long as it keeps the file open, and
a second one is refused with the first one's pid (:class:`DatabaseRefused`, exit 2).

The kernel drops the lock when its holder dies, even by ``kill -9``, so a restart after
a crash is never refused. Opening the file again in the same process (a test reopening
its database, ``smsim up`` restarting a part) is allowed: the claim is counted per
process. The lock file is left in place; it holds only the owner's pid. The file is
never locked for readers: the ``sqlite3`` shell or a backup may read it at any time.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading

from smsim.migrations import DatabaseRefused

_claims: dict[str, tuple[int, int]] = {}  # real path -> (lock file descriptor, opens)
_claims_lock = threading.Lock()


def lock_path(database: str) -> str:
    """The lock file beside ``database``."""
    return database + "-owner.lock"


def claim(database: str) -> str:
    """Make this process the owner of ``database`` (a file path); returns the key to
    :func:`release` it with. Raises :class:`DatabaseRefused` when another process owns it."""
    key = os.path.realpath(database)
    with _claims_lock:
        held = _claims.get(key)
        if held is not None:
            _claims[key] = (held[0], held[1] + 1)
            return key
        try:
            fd = os.open(lock_path(key), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:  # a folder that lets SQLite read but not create beside it
            raise DatabaseRefused(
                database, f"cannot be claimed for this process: {lock_path(key)}: {exc.strerror}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = _read_owner(fd)
            os.close(fd)
            raise DatabaseRefused(
                database,
                f"is in use by another smsim process{owner}: with SQLite one process serves"
                " a database (stop that one, give this one another --db, or use PostgreSQL"
                " for several processes)",
            ) from None
        except OSError:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        _claims[key] = (fd, 1)
        return key


def release(key: str) -> None:
    """Give up one claim of this process on the database; the last one frees it."""
    with _claims_lock:
        held = _claims.get(key)
        if held is None:
            return
        fd, opens = held
        if opens > 1:
            _claims[key] = (fd, opens - 1)
            return
        del _claims[key]
        with contextlib.suppress(OSError):
            os.close(fd)  # closing drops the flock


def _read_owner(fd: int) -> str:
    """`` (pid N)`` from the lock file, or nothing when it cannot be read."""
    with contextlib.suppress(OSError, ValueError):
        pid = int(os.pread(fd, 32, 0).decode().strip())
        return f" (pid {pid})"
    return ""
