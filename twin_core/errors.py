"""Errors a user can act on, importable without the engines (the CLI's error boundary uses them
before anything heavy is loaded)."""

from __future__ import annotations


class WarehouseError(RuntimeError):
    """A problem with a DuckDB file a user can act on (missing, locked, wrong schema)."""
