"""`twin publish`: swap a fresh read-only plant.duckdb in from the warehouse."""

from __future__ import annotations

from twin_core.cli._app import app, friendly, out
from twin_core.publish import publish as publish_warehouse
from twin_core.settings import get_settings


@app.command()
@friendly
def publish() -> None:
    """Publish the warehouse onto TWIN_HOME/plant.duckdb (atomic; readers keep the old file)."""
    s = get_settings()
    r = publish_warehouse(s)
    out.print(
        f"published snapshot {r.snapshot_id} to {r.path}: {r.tables} tables, {r.rows:,} rows, "
        f"{r.size_bytes / 1e6:.1f} MB in {r.seconds:.2f} s"
    )
