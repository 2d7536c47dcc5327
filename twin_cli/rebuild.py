"""`twin rebuild --as-of DATE`: build a twin snapshot from the validated core tables."""

from __future__ import annotations

from datetime import datetime

import typer

from twin_cli._app import UserError, app, friendly
from twin_core.rebuild import rebuild as rebuild_warehouse
from twin_core.rebuild import snapshot_rows
from twin_core.runlock import LockBusy, home_lock
from twin_core.settings import get_settings
from twin_core.sites import check_sites
from twin_core.warehouse import open_warehouse


@app.command()
@friendly
def rebuild(
    as_of: str = typer.Option(..., "--as-of", help="Plant day YYYY-MM-DD the snapshot describes."),
    site: list[str] = typer.Option([], "--site", help="Limit to a site (repeatable)."),
    wait: int = typer.Option(600, "--wait", help="Seconds to wait for another run on TWIN_HOME."),
) -> None:
    """Build a new snapshot of every twin table for a plant day (data up to its end)."""
    try:
        day = datetime.strptime(as_of, "%Y-%m-%d").date()
    except ValueError:
        raise UserError(f"--as-of takes a date YYYY-MM-DD, not {as_of!r}") from None
    settings = get_settings(site_ids=site) if site else get_settings()
    try:
        with home_lock(settings, f"rebuild {day}", wait_s=wait), open_warehouse(settings) as con:
            check_sites(con, settings.site_ids)  # an unknown site: refused, nothing built
            snapshot_id = rebuild_warehouse(con, settings, day)
            counts = snapshot_rows(con, snapshot_id)
    except LockBusy as exc:
        raise UserError(str(exc)) from None
    typer.echo(f"snapshot {snapshot_id} ({day}): {sum(counts.values()):,} rows")
    for table, n in counts.items():
        typer.echo(f"  history.{table}: {n:,}")
