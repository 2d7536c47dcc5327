"""`twin report`: department instructions and reports of a twin snapshot."""

from __future__ import annotations

from datetime import datetime

import typer

from twin_cli._app import UsageError, UserError, app, friendly
from twin_core.settings import get_settings


@app.command()
@friendly
def report(
    as_of: str | None = typer.Option(
        None, "--as-of", help="Plant day YYYY-MM-DD; default: the latest complete snapshot."
    ),
    snapshot: int | None = typer.Option(None, "--snapshot", help="Report this snapshot_id."),
) -> None:
    """Write the instructions (report.instructions) and reports under TWIN_HOME/reports/<as_of>/."""
    day = None
    if as_of is not None:
        try:
            day = datetime.strptime(as_of, "%Y-%m-%d").date()
        except ValueError:
            raise UsageError(f"--as-of takes a date YYYY-MM-DD, not {as_of!r}") from None
    from twin_core import stages
    from twin_core.report import ReportError

    try:
        result = stages.report(get_settings(), day, snapshot_id=snapshot)
    except ReportError as exc:
        raise UserError(str(exc)) from None
    counts = ", ".join(f"{d} {n}" for d, n in result.counts.items())
    # Plain echo, not rich: paths must not be wrapped at the terminal width.
    typer.echo(
        f"snapshot {result.snapshot_id} ({result.as_of}): {result.total} instructions ({counts})"
    )
    for path in result.paths.values():
        typer.echo(f"  {path}")
