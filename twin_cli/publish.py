"""`twin publish` (swap a fresh read-only plant.duckdb in) and `twin dictionary`."""

from __future__ import annotations

from pathlib import Path

import typer

from twin_cli._app import app, friendly, out
from twin_core.settings import get_settings


@app.command()
@friendly
def publish() -> None:
    """Publish the warehouse onto TWIN_HOME/plant.duckdb (atomic; readers keep the old file)."""
    from twin_core import stages

    r = stages.publish(get_settings())
    out.print(
        f"published snapshot {r.snapshot_id} to {r.path}: {r.tables} tables, {r.rows:,} rows, "
        f"{r.size_bytes / 1e6:.1f} MB in {r.seconds:.2f} s"
    )
    for path in r.moved_aside:
        out.print(
            f"[yellow]moved aside {path.name}: a WAL beside plant.duckdb (a read-write session "
            "wrote to the published file) would have stopped the new file from opening; "
            "open plant.duckdb read-only (see the README)[/yellow]",
            highlight=False,
        )


@app.command()
@friendly
def dictionary(
    write: Path | None = typer.Option(
        None,
        "--write",
        help="Replace the dictionary section of this markdown file (docs/dictionary.md).",
    ),
) -> None:
    """Print the data dictionary of plant.duckdb (generated from sql/schema comments)."""
    from twin_core.dictionary import render_markdown, replace_in

    text = render_markdown()
    if write is None:
        typer.echo(text, nl=False)
        return
    write.write_text(replace_in(write.read_text(encoding="utf-8"), text), encoding="utf-8")
    out.print(f"updated the dictionary in {write}")
