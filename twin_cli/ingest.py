"""`twin ingest`: new landing files into raw, with progress per source and file.

It calls the library (``twin_core.stages.ingest``) directly, not through Prefect: no
API server is needed, and the tables it writes are the same the ``ingest`` flow writes.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from twin_cli._app import ExitCode, UserError, app, friendly, out
from twin_core.settings import get_settings

if TYPE_CHECKING:
    from twin_core.ingest import FileResult, IngestResult

_STYLE = {"loaded": "green", "skipped": "dim", "quarantined": "red"}


class _Progress:
    """Prints one line per file, under a heading per source."""

    def __init__(self, verbose: bool) -> None:
        self.source: str | None = None
        self.verbose = verbose
        self.unchanged = 0

    def __call__(self, f: FileResult) -> None:
        if not f.noteworthy and not self.verbose:
            self.unchanged += 1
            return
        if f.source != self.source:
            self.source = f.source
            out.print(f"[bold]{f.source}[/bold]")
        style = _STYLE[f.status]
        line = f"  [{style}]{f.status:<11}[/{style}] {f.file}"
        if f.status == "loaded":
            line += f"  {f.rows_loaded:,} rows"
            if f.rows_quarantined:
                line += f", [red]{f.rows_quarantined:,} quarantined[/red]"
            if f.extra_columns:
                line += f"  [yellow]extra columns: {', '.join(f.extra_columns)}[/yellow]"
            line += f"  ({f.seconds:.1f} s)"
        elif f.reason:
            line += f"  [dim]{f.reason}[/dim]"
        out.print(line, highlight=False)


def _summary_table(result: IngestResult) -> Table:
    per: dict[str, list[int]] = defaultdict(lambda: [0] * 6)
    for f in result.files:
        row = per[f.source]
        row[0] += f.status == "loaded"
        row[1] += f.status == "skipped"
        row[2] += f.status == "quarantined"
        row[3] += f.rows_read
        row[4] += f.rows_loaded
        row[5] += f.rows_quarantined
    table = Table(
        "source",
        "files",
        "skipped",
        "rejected",
        "rows read",
        "loaded",
        "quarantined",
        title=f"ingest {result.batch_id or '(nothing new)'}: files loaded, skipped (unchanged), "
        "rejected (quarantined whole); rows read = loaded + quarantined",
        title_justify="left",
    )
    for source, r in per.items():
        table.add_row(source, *[f"{v:,}" for v in r])
    t = result.totals
    table.add_row(
        "[bold]total[/bold]",
        *[
            f"[bold]{v:,}[/bold]"
            for v in (
                t.files_loaded,
                t.files_skipped,
                t.files_quarantined,
                t.rows_read,
                t.rows_loaded,
                t.rows_quarantined,
            )
        ],
    )
    return table


@app.command()
@friendly
def ingest(
    source: list[str] = typer.Option(
        [], "--source", "-s", help="Only this source (repeat for several); default every source."
    ),
    strict: bool | None = typer.Option(
        None,
        "--strict/--no-strict",
        help="Exit 1 when anything was quarantined (the good rows are loaded anyway); "
        "default: TWIN_STRICT_INGEST.",
    ),
    retry_quarantined: bool = typer.Option(
        False,
        "--retry-quarantined",
        help="Read again unchanged files that were quarantined whole (after fixing a mapping).",
    ),
    markdown: Path | None = typer.Option(
        None, "--markdown", help="Also write the reconciliation table (markdown) to this file."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="List unchanged files too."),
) -> None:
    """Load new files from TWIN_HOME/landing/<source>/ into the warehouse's raw tables.

    Unchanged files are skipped (by content hash); bad files and rows go to
    quality.quarantine with the reason. Exit code 1 in strict mode when anything was
    quarantined.
    """
    import duckdb

    from twin_core import stages
    from twin_core.ingest import IngestError

    settings = get_settings()
    progress = _Progress(verbose)
    try:
        with out.status("ingesting landing files ..."):
            # strict=False: the exit code below follows strict mode after the table is shown.
            result = stages.ingest(
                settings,
                strict=False,
                sources=source or None,
                progress=progress,
                retry_quarantined=retry_quarantined,
            )
    except IngestError as exc:
        raise UserError(str(exc)) from None
    except (duckdb.IOException, duckdb.TransactionException, OSError) as exc:
        # A full disk, a file system gone read-only: the message is the system's own.
        raise UserError(
            f"ingest stopped: {' '.join(str(exc).split())}. Every file committed before it is "
            "kept; run `twin ingest` again once that is fixed (it resumes where it stopped).",
            code=ExitCode.FAILED,
        ) from None
    if result.totals.files_seen == 0:
        # Not "nothing new": there was nothing at all to read.
        out.print(
            f"[yellow]the landing folder {settings.landing_dir} is empty: no extract files "
            f"under {settings.landing_dir}/<source>/ "
            f"{'for ' + ', '.join(source) + ' ' if source else ''}(one folder per source, e.g. "
            f"{settings.landing_dir / 'sensor_readings'}/). Nothing was ingested.[/yellow]",
            highlight=False,
        )
        return
    if progress.unchanged:
        out.print(f"[dim]{progress.unchanged} unchanged files skipped (--verbose lists them)[/dim]")
    for folder in result.unknown_folders:
        out.print(f"[yellow]landing/{folder}/ is no source: not read[/yellow]")
    out.print(_summary_table(result))
    out.print(result.summary())
    if markdown is not None:
        markdown.write_text(result.to_markdown(), encoding="utf-8")
    if result.quarantined_anything:
        out.print(
            f"[yellow]quarantined input: see quality.quarantine where batch_id = "
            f"'{result.batch_id}' and stage = 'ingest'[/yellow]"
        )
        if settings.strict_ingest if strict is None else strict:
            raise typer.Exit(code=1)
