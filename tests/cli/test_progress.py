"""Live progress (issue 25): the flows tell each night and stage as it happens; the CLI prints a
line per finished stage on stderr and, on a terminal, draws a bar over the nights' stages."""

from __future__ import annotations

import io
from datetime import date

import pytest
from rich.console import Console
from typer.testing import CliRunner

import twin_cli.progress as cli_progress
from flows import progress
from flows.nightly import nightly
from twin_cli import app
from twin_core.errors import StageFailed
from twin_core.settings import Settings

runner = CliRunner()
DAY = date(2026, 1, 5)


def test_a_nightly_tells_each_stage_as_it_starts_and_ends(
    prefect_api: None, settings: Settings
) -> None:
    """On a home without data: ingest and validate complete, the rebuild fails (the data gate)
    and is told as failed; nothing after it starts."""
    assert runner.invoke(app, ["init"]).exit_code == 0
    seen: list[progress.Progress] = []
    with progress.listening(seen.append), pytest.raises(StageFailed):
        nightly(as_of=DAY)
    assert [(e.kind, e.stage, e.status) for e in seen] == [
        ("stage_started", "ingest", ""),
        ("stage_done", "ingest", "completed"),
        ("stage_started", "validate", ""),
        ("stage_done", "validate", "completed"),
        ("stage_started", "rebuild", ""),
        ("stage_done", "rebuild", "failed"),
    ]
    assert all(e.day == DAY for e in seen)
    assert "no snapshot for 2026-01-05" in seen[-1].detail
    # Outside the block nobody listens: the flow runs as before.
    with pytest.raises(StageFailed):
        nightly(as_of=DAY)
    assert len(seen) == 6


def test_the_cli_prints_each_finished_stage_on_stderr(
    prefect_api: None, settings: Settings
) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    result = runner.invoke(app, ["nightly", "--as-of", DAY.isoformat()])
    assert result.exit_code == 5
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("2026-01-05 ")]
    assert [ln.split()[1] for ln in lines] == ["ingest", "validate", "rebuild"]
    assert lines[0].endswith("-> validate") and " s " in lines[0]
    assert "FAILED:" in lines[2]


def _event(kind: progress.Kind, stage: str = "", **kw: object) -> progress.Progress:
    return progress.Progress(kind, DAY, stage, **kw)  # type: ignore[arg-type]


def test_stage_line_says_time_detail_and_what_is_next() -> None:
    done = _event(
        "stage_done", "rebuild", seconds=4.25, detail="snapshot 3\n  built", status="completed"
    )
    assert (
        cli_progress.stage_line(done) == "2026-01-05 rebuild     4.2 s  snapshot 3 built  -> report"
    )
    last = _event("stage_done", "publish", seconds=1.0, detail="plant.duckdb", status="completed")
    assert "->" not in cli_progress.stage_line(last)
    long = _event("stage_done", "ingest", detail="x" * 500, status="failed")
    text = cli_progress.stage_line(long)
    assert "FAILED:" in text and text.endswith("...") and len(text) < 200


def test_on_a_terminal_a_bar_counts_the_nights_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=120, soft_wrap=True)
    monkeypatch.setattr(cli_progress, "err", terminal)
    with cli_progress.stage_progress(nights=2) as shown:
        assert shown is True
        progress.night_started(DAY, 1, 2)
        for stage in cli_progress.STAGES:
            progress.stage_started(DAY, stage)
            progress.stage_done(DAY, stage, 1.0, f"{stage} ok", "completed")
        progress.night_started(date(2026, 1, 6), 2, 2)
        progress.stage_started(date(2026, 1, 6), "ingest")
        assert "night 2 of 2: 2026-01-06 ingest" in screen.getvalue()
        assert "5/10" in screen.getvalue()
    text = screen.getvalue()
    for stage in cli_progress.STAGES:
        assert f"2026-01-05 {stage:<9}" in text and f"{stage} ok" in text


def test_off_a_terminal_only_the_lines_are_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    piped = io.StringIO()
    monkeypatch.setattr(cli_progress, "err", Console(file=piped, width=80, soft_wrap=True))
    with cli_progress.stage_progress(nights=1) as shown:
        assert shown is False
        progress.stage_started(DAY, "ingest")
        progress.stage_done(DAY, "ingest", 0.5, "3 files, " + "rows " * 30, "completed")
    lines = piped.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("2026-01-05 ingest") and "\x1b" not in lines[0]
