"""Progress of a night's stages, for whoever runs the flows in this process.

The flows say when a night starts and when each stage starts and ends; a listener (the
``twin`` CLI's bar, ``twin_cli.progress``) shows it while the work runs. With no listener
nothing happens: a worker or the Prefect UI sees the same runs, logs and artifacts as before.
The events stay in the process: they are for a terminal, not a record (the record is the
run's logs and its ``nightly-summary`` artifact).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Literal

__all__ = ["Progress", "listening", "night_started", "stage_done", "stage_started"]

Kind = Literal["night", "stage_started", "stage_done"]


@dataclass(frozen=True)
class Progress:
    """One step of a run: a night begins (``night`` of ``nights``), a stage starts, a stage
    ends (``seconds``, ``detail`` as in the nightly summary, ``status``)."""

    kind: Kind
    day: date
    stage: str = ""
    night: int = 1
    nights: int = 1
    seconds: float = 0.0
    detail: str = ""
    status: str = ""


Listener = Callable[[Progress], None]
_listeners: list[Listener] = []
_lock = threading.Lock()


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Call ``listener`` with every progress event of this process while the block runs."""
    with _lock:
        _listeners.append(listener)
    try:
        yield
    finally:
        with _lock:
            _listeners.remove(listener)


def _emit(event: Progress) -> None:
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener(event)


def night_started(day: date, night: int, nights: int) -> None:
    _emit(Progress("night", day, night=night, nights=nights))


def stage_started(day: date, stage: str) -> None:
    _emit(Progress("stage_started", day, stage))


def stage_done(day: date, stage: str, seconds: float, detail: str, status: str) -> None:
    _emit(Progress("stage_done", day, stage, seconds=seconds, detail=detail, status=status))
