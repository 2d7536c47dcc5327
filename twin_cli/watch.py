"""`twin watch` (one quality-watch cycle) and `twin replay` (a generated plant hour by hour
through the watch, with the nightly at each day's end, measured against its ground truth)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from twin_cli._app import UserError, app, friendly, out
from twin_core.settings import get_settings


@app.command()
@friendly
def watch(
    prefect: bool = typer.Option(
        True,
        "--prefect/--no-prefect",
        help="Run the quality-watch flow (artifact and twin.quality.hold events; uses "
        "PREFECT_API_URL or an ephemeral API), or only the library cycle.",
    ),
    publish: bool = typer.Option(
        True, "--publish/--no-publish", help="Swap the alerts into plant.duckdb."
    ),
) -> None:
    """Run one quality-watch cycle: ingest and validate what landed, judge it with the current
    snapshot's limits and rules, drift and sensor checks; print the new alerts."""
    from twin_core.ingest import IngestError
    from twin_core.runlock import LockBusy

    try:
        if prefect:
            from twin_cli.run import _prefect_defaults

            _prefect_defaults()
            from flows.quality_watch import quality_watch

            done = quality_watch(publish=publish)
            out.print(f"cycle {done['cycle_id']}: {len(done['alerts'])} new alert(s)")
            for key in done["alerts"]:
                out.print(f"  {key}", highlight=False)
            return
        from twin_core.watch import run_watch

        result = run_watch(get_settings(), publish=publish)
    except (LockBusy, IngestError) as exc:
        raise UserError(str(exc)) from None
    out.print(result.summary(), highlight=False)
    for a in result.alerts:
        out.print(f"  {a['alert_key']}: {a['evidence']}", highlight=False)


@app.command()
@friendly
def replay(
    plant: Path = typer.Argument(..., help="Folder of a generated plant (twin generate OUT)."),
    warmup_days: int = typer.Option(3, "--warmup-days", min=1, help="Days landed at once first."),
    days: int | None = typer.Option(None, "--days", min=1, help="Days to replay (default: all)."),
    report: Path | None = typer.Option(None, "--json", help="Write the measurement here (JSON)."),
) -> None:
    """Drop each hour of a generated plant into TWIN_HOME's landing and run the watch on it
    (the nightly at each day's end); print the time from each injected quality fault's first
    detectable data landing to its alert."""
    from twin_core.watch.driver import replay as run_replay
    from twin_core.watch.measure import measure

    settings = get_settings()
    if settings.warehouse_path.exists():
        raise UserError(
            f"{settings.warehouse_path} exists: replay into an empty TWIN_HOME (it fills landing)"
        )
    settings.home.mkdir(parents=True, exist_ok=True)

    def progress(h: object) -> None:
        hour = getattr(h, "hour", 0)
        if hour == 23:
            out.print(f"replayed {getattr(h, 'day', '')}", highlight=False)

    result = run_replay(settings, plant, warmup_days=warmup_days, days=days, progress=progress)
    m = measure(settings, plant, result)
    for line in m.lines():
        out.print(line, highlight=False)
    if report is not None:
        report.write_text(json.dumps(m.as_dict(), indent=2, default=str), encoding="utf-8")
