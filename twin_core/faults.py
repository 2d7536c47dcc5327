"""Crash points for the fault-injection suite.

``crash_point("publish.before_swap")`` does nothing unless the environment variable
``TWIN_CRASH_AT`` names that point, in which case the process kills itself with SIGKILL
right there: no ``finally``, no ``atexit``, no flush, exactly like a power cut or the OOM
killer. ``TWIN_CRASH_AT=ingest.before_commit@3`` kills at the third time the point is
reached (the third file), so a crash can land after earlier work committed. The
reliability tests (``tests/reliability``) run the nightly in a subprocess with
``TWIN_CRASH_AT`` set to each point in turn, then check that the published file is the last
good one, the rerun completes, and nothing was lost or doubled. Production never sets the
variable.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

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

_reached: Counter[str] = Counter()


def parse(value: str) -> tuple[str, int]:
    """``"name"`` or ``"name@N"`` -> (name, N); N >= 1 (default 1)."""
    name, _, nth = value.partition("@")
    if name not in POINTS:
        raise ValueError(f"unknown crash point {name!r} in {ENV}; known: {', '.join(POINTS)}")
    if nth and (not nth.isdigit() or int(nth) < 1):
        raise ValueError(f"{ENV}={value!r}: the count after @ must be a whole number >= 1")
    return name, int(nth) if nth else 1


def crash_point(name: str) -> None:
    """SIGKILL this process if ``TWIN_CRASH_AT`` names ``name`` (at its Nth arrival here)."""
    if name not in POINTS:
        raise ValueError(f"unknown crash point {name!r}")
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    target, nth = parse(wanted)
    if target != name:
        return
    _reached[name] += 1
    if _reached[name] == nth:
        os.kill(os.getpid(), signal.SIGKILL)
