"""Stage entry points that fail on purpose, for tests of what the flows do around a failure."""

from __future__ import annotations

from datetime import date
from typing import Any


class DiskFull(OSError):
    """Stands for an I/O failure in the middle of a stage."""


def failing_rebuild(settings: Any, as_of: date, **_: Any) -> int:
    raise DiskFull(f"no space left while building the snapshot for {as_of}")
