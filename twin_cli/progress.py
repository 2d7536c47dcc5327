"""Live progress of the nightly, backfill and demo on stderr: a line per finished stage (its
time, what it did, what runs next) and, on a terminal, a bar over the nights' stages with the
time elapsed and left. The flows tell what happens (``flows.progress``); this draws it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from twin_cli._app import err

if TYPE_CHECKING:
    from flows.progress import Progress as Event

STAGES: tuple[str, ...] = ("ingest", "validate", "rebuild", "report", "publish")


def stage_line(event: Event) -> str:
    """``2026-01-05 rebuild    4.1 s  snapshot 3 ... -> report`` (one line, never wrapped)."""
    detail = " ".join(event.detail.split())
    if len(detail) > 160:
        detail = detail[:157] + "..."
    mark = "" if event.status == "completed" else f" {event.status.upper()}:"
    following = STAGES.index(event.stage) + 1 if event.stage in STAGES else len(STAGES)
    nxt = (
        f"  -> {STAGES[following]}"
        if event.status == "completed" and following < len(STAGES)
        else ""
    )
    return f"{event.day} {event.stage:<9}{event.seconds:6.1f} s {mark} {detail}{nxt}".rstrip()


@contextmanager
def stage_progress(nights: int) -> Iterator[bool]:
    """Show the stages of ``nights`` nightly runs as they happen. Yields whether the finished
    stages were shown on a terminal (the final summary then need not repeat them)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from flows import progress as events

    night = {"n": 1, "of": nights}
    if not err.is_terminal:

        def line(event: Event) -> None:
            if event.kind == "stage_done":
                err.print(stage_line(event), highlight=False, markup=False)

        with events.listening(line):
            yield False
        return

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )
    task = bar.add_task("starting the Prefect API", total=nights * len(STAGES))

    def draw(event: Event) -> None:
        if event.kind == "night":
            night.update(n=event.night, of=event.nights)
            bar.update(task, total=event.nights * len(STAGES))
        elif event.kind == "stage_started":
            bar.update(
                task,
                description=f"night {night['n']} of {night['of']}: {event.day} {event.stage}",
                refresh=True,
            )
        else:
            bar.console.print(stage_line(event), highlight=False, markup=False)
            bar.update(task, advance=1, refresh=True)

    with bar, events.listening(draw):
        yield True
