"""`twin rebuild --as-of DATE`: build a twin snapshot from the validated core tables."""

from __future__ import annotations

from datetime import datetime

import typer

from twin_cli._app import UsageError, app, friendly
from twin_core.runlock import STAGE_WAIT_S, home_lock
from twin_core.settings import get_settings


@app.command()
@friendly
def rebuild(
    as_of: str = typer.Option(..., "--as-of", help="Plant day YYYY-MM-DD the snapshot describes."),
    site: list[str] = typer.Option([], "--site", help="Limit to a site (repeatable)."),
    wait: int = typer.Option(
        STAGE_WAIT_S, "--wait", help="Seconds to wait for another run on TWIN_HOME."
    ),
) -> None:
    """Build a new snapshot of every twin table for a plant day (data up to its end)."""
    try:
        day = datetime.strptime(as_of, "%Y-%m-%d").date()
    except ValueError:
        raise UsageError(f"--as-of takes a date YYYY-MM-DD, not {as_of!r}") from None
    from twin_core import stages

    settings = get_settings(site_ids=site) if site else get_settings()
    with home_lock(settings, f"rebuild {day}", wait_s=wait):
        # Partial input builds a snapshot marked degraded (the nightly applies the gate).
        result = stages.rebuild(settings, day, allow_partial=True, count_rows=True)
    snapshot_id, counts = result.snapshot_id, result.rows
    typer.echo(f"snapshot {snapshot_id} ({day}): {sum(counts.values()):,} rows")
    for table, n in counts.items():
        typer.echo(f"  history.{table}: {n:,}")
