"""`twin doctor` (check the files of TWIN_HOME) and `twin recover` (rebuild a damaged
warehouse from the landing files)."""

from __future__ import annotations

import typer
from rich.markup import escape

from twin_cli._app import UserError, app, friendly, out
from twin_core.settings import get_settings

_STYLE = {"ok": "green", "warning": "yellow", "error": "red"}


@app.command()
@friendly
def doctor() -> None:
    """Check the warehouse (every block of every table), the published file and what sits
    beside them. Writes nothing. Exit code 1 when something is damaged."""
    settings = get_settings()
    from twin_core.doctor import check_home

    report = check_home(settings)
    for f in report.findings:
        style = _STYLE[f.level]
        out.print(
            f"[{style}]{f.level:<7}[/{style}] {f.subject}: {escape(f.message)}", highlight=False
        )
    if report.warehouse_damaged:
        out.print("the warehouse is damaged: `twin recover` rebuilds it from the landing files")
    if not report.ok:
        raise typer.Exit(code=1)


@app.command()
@friendly
def recover(
    yes: bool = typer.Option(
        False, "--yes", help="Rebuild even when `twin doctor` finds the warehouse whole."
    ),
    wait: int = typer.Option(0, "--wait", help="Seconds to wait for another run on TWIN_HOME."),
) -> None:
    """Rebuild the warehouse from the landing files: move the damaged one aside (kept), ingest
    and validate every landing file, and account for every file the old manifest lists."""
    settings = get_settings()
    if not yes:
        from twin_core.doctor import check_home
        from twin_core.warehouse import damaged_marker

        report = check_home(settings)
        marked = damaged_marker(settings.warehouse_path).exists()
        if not report.warehouse_damaged and not marked and settings.warehouse_path.exists():
            raise UserError(
                "the warehouse reads back whole (`twin doctor`); nothing to recover. "
                "`twin recover --yes` rebuilds it anyway"
            )
    from twin_core.doctor import recover as recover_warehouse

    r = recover_warehouse(settings, lock_wait_s=wait)  # LockBusy: exit 4 (``friendly``)
    if r.moved_to is not None:
        out.print(f"moved the old warehouse aside to {r.moved_to}", highlight=False)
    out.print(
        f"new warehouse: batch {r.batch_id}, {r.files_loaded} files, {r.rows_loaded:,} rows "
        f"ingested; {r.validated} batch(es) validated",
        highlight=False,
    )
    if r.manifest_read:
        out.print(
            f"old manifest: {r.files_before} loaded files; {r.reloaded} loaded again with the "
            f"same sha256, {len(r.changed)} changed since, {len(r.missing)} no longer in landing",
            highlight=False,
        )
        for name in r.changed:
            out.print(f"  [yellow]changed[/yellow] {escape(name)}", highlight=False)
        for name in r.missing:
            out.print(
                f"  [red]missing[/red] {escape(name)} (its rows are not in the new warehouse)",
                highlight=False,
            )
    else:
        out.print("[yellow]the old manifest (ingest.files) could not be read[/yellow]")
    if r.snapshot_days:
        out.print(
            f"snapshots are not rebuilt: `twin backfill --start {r.snapshot_days[0]} --end "
            f"{r.snapshot_days[-1]}` rebuilds the {len(r.snapshot_days)} day(s) the old "
            "warehouse had, then publishes",
            highlight=False,
        )
