"""`twin validate`: validate pending ingest batches with Great Expectations, promote to core."""

from __future__ import annotations

from datetime import date, datetime

import typer
from rich.table import Table

from twin_cli._app import UsageError, UserError, app, friendly, out
from twin_core.settings import get_settings


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise UsageError(f"--as-of takes a date YYYY-MM-DD, not {text!r}") from None


def _print_rules() -> None:
    from twin_core.validation.checks import catalog

    # Source and rule names are what severity overrides are written with: never broken.
    table = Table(title="validation rules")
    table.add_column("source", no_wrap=True)
    table.add_column("rule", no_wrap=True)
    table.add_column("level", no_wrap=True)
    table.add_column("default", no_wrap=True)
    table.add_column("checks")
    for c in catalog():
        table.add_row(c.source, c.rule, c.level, c.severity, c.description)
    out.print(table)


@app.command()
@friendly
def validate(
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help="Plant day YYYY-MM-DD freshness is judged against; default: yesterday in the plant "
        "timezone, the nightly's default day.",
    ),
    batch: str | None = typer.Option(
        None, "--batch", help="Validate (again) only this ingest batch; default every pending one."
    ),
    rules: bool = typer.Option(
        False, "--rules", help="List every rule with its level and default severity, then exit."
    ),
) -> None:
    """Validate ingest batches (GX on DuckDB): quarantine failing rows, promote the rest to core.

    Exit code 1 when a batch failed a batch-level error (nothing of it promoted).
    """
    if rules:
        _print_rules()
        return
    from twin_core.sim.calendar import default_as_of

    settings = get_settings()
    day = _day(as_of) or default_as_of(settings.timezone)
    # GX is imported here, not at CLI start-up: it takes seconds to import.
    from twin_core import stages
    from twin_core.errors import StageFailed
    from twin_core.validation import BatchNotReady, ValidationError

    try:
        results = stages.validate(settings, day, batch=batch).batches
    except StageFailed as exc:
        # A failed batch: show every batch's outcome below, then exit 1.
        if not isinstance(exc.result, stages.ValidateResult):
            raise
        results = exc.result.batches
    except (BatchNotReady, ValidationError, ValueError) as exc:
        raise UserError(str(exc)) from None
    if not results:
        typer.echo("no pending batches")
    for r in results:
        typer.echo(
            f"batch {r.batch_id}: {r.status} ({r.rows} rows: {r.promoted} promoted, "
            f"{r.quarantined} quarantined)"
        )
        for s in r.sources:
            problems = [*(f"error {e}" for e in s.errors), *(f"warning {w}" for w in s.warnings)]
            typer.echo(
                f"  {s.source}: {s.rows} rows, {s.promoted} promoted, {s.quarantined} "
                f"quarantined, {s.superseded} superseded"
                + (f" [{'; '.join(problems)}]" if problems else "")
            )
        if r.data_docs_path:
            typer.echo(f"  Data Docs: {r.data_docs_path}")
    if any(r.status == "failed" for r in results):
        failed = ", ".join(r.batch_id for r in results if r.status == "failed")
        typer.echo(
            f"validation failed for batch(es) {failed}; nothing of them was promoted", err=True
        )
        raise typer.Exit(code=1)
