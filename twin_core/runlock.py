"""One writer at a time per TWIN_HOME: an advisory file lock for runs that write the warehouse.

Grain: one lock file per TWIN_HOME (``<home>/.twin.lock``); its content names the holder
(pid, purpose, start time, host) so the run that has to wait can say who it waits for.

DuckDB itself refuses a second writing process at once with a bare IO error, in the
middle of whatever stage opened the file second. Nightly, backfill and scenario runs take
this lock first instead, so a second run waits (up to a timeout) or fails before it has
done anything, with a message naming the holder. The lock is ``fcntl.flock`` on an open
file: the kernel releases it when the holding process exits, so a killed run never leaves
a stale lock behind.

The lock is re-entrant within a process: a backfill holds it for all its days and the
nightly subflows it runs (same process) pass through.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from twin_core.errors import WarehouseError
from twin_core.settings import Settings

LOCK_NAME = ".twin.lock"

# How long a run waits for another writer of its TWIN_HOME before it fails, by default. The
# one place these are set; every flow parameter and command option takes its default here.
NIGHT_WAIT_S = 1800
"""A night's run (nightly, backfill, site nightly, scenario): it can wait out another night's
longest stage, and nobody is waiting on it interactively."""
STAGE_WAIT_S = 600
"""One stage run by hand or on its own (ingest, validate, rebuild, report, a watch cycle): a
person or an hourly cycle is waiting, so it gives up sooner."""


class LockBusy(RuntimeError):
    """Another process holds the TWIN_HOME lock and did not release it within the wait."""


@dataclass
class _Held:
    handle: IO[str]
    depth: int


_guard = threading.Lock()
_held: dict[Path, _Held] = {}


def lock_path(settings: Settings) -> Path:
    return settings.home / LOCK_NAME


def describe_holder(path: Path) -> str:
    """A human sentence about who holds the lock, from what the holder wrote into it."""
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another process"
    return (
        f"{info.get('purpose', 'a run')} (pid {info.get('pid', '?')} on {info.get('host', '?')}, "
        f"started {info.get('started_at', '?')})"
    )


@contextmanager
def home_lock(
    settings: Settings,
    purpose: str,
    *,
    wait_s: float = 0.0,
    poll_s: float = 0.5,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[Path]:
    """Hold the TWIN_HOME write lock for the duration of the block.

    Waits up to ``wait_s`` seconds for another process to release it, then raises
    ``LockBusy`` naming the holder. ``on_wait`` is told once, with the holder, when the
    lock is busy and the caller is going to wait. Re-entrant within one process.
    """
    if not settings.home.is_dir():
        raise WarehouseError(f"TWIN_HOME {settings.home} does not exist; run `twin init` first")
    path = lock_path(settings).resolve()
    with _guard:
        held = _held.get(path)
        if held is not None:
            held.depth += 1
    if held is not None:
        try:
            yield path
        finally:
            with _guard:
                held.depth -= 1
        return

    handle = path.open("a+", encoding="utf-8")
    deadline = time.monotonic() + max(wait_s, 0.0)
    told = False
    try:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if on_wait is not None and not told and wait_s > 0:
                    on_wait(describe_holder(path))
                    told = True
                if time.monotonic() >= deadline:
                    raise LockBusy(
                        f"TWIN_HOME {settings.home} is busy: {describe_holder(path)} holds "
                        f"{path.name}; waited {wait_s:g} s. Try again when it finishes."
                    ) from None
                time.sleep(poll_s)
        handle.seek(0)
        handle.truncate()
        handle.write(
            json.dumps(
                {
                    "purpose": purpose,
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                }
            )
        )
        handle.flush()
        with _guard:
            _held[path] = _Held(handle, 1)
        try:
            yield path
        finally:
            with _guard:
                _held.pop(path, None)
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()
