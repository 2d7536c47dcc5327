"""Crash points for the fault-injection suite.

``crash_point("publish.before_swap")`` does nothing unless the environment variable
``TWIN_CRASH_AT`` names that point, in which case the process kills itself with SIGKILL
right there: no ``finally``, no ``atexit``, no flush, exactly like a power cut or the OOM
killer. The reliability tests run the nightly in a subprocess with ``TWIN_CRASH_AT`` set to
each point in turn, then check that the published file is the last good one, the rerun
completes, and nothing was lost or doubled. Production never sets the variable.
"""

from __future__ import annotations

import os
import signal

ENV = "TWIN_CRASH_AT"

# Every point the suite exercises, in nightly order. A point not listed here is a typo.
POINTS: tuple[str, ...] = (
    "ingest.mid_file",
    "ingest.before_commit",
    "validate.before_promote",
    "validate.mid_promote",
    "rebuild.before_commit",
    "publish.before_swap",
    "publish.after_swap",
)


def crash_point(name: str) -> None:
    """SIGKILL this process if ``TWIN_CRASH_AT`` equals ``name``."""
    if name not in POINTS:
        raise ValueError(f"unknown crash point {name!r}")
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
