"""Errors a user can act on, importable without the engines (the CLI's error boundary uses them
before anything heavy is loaded)."""

from __future__ import annotations


class WarehouseError(RuntimeError):
    """A problem with a DuckDB file a user can act on (missing, locked, wrong schema)."""


class StageFailed(RuntimeError):
    """A stage ran and its result says the night must stop (strict ingest with quarantined
    input, a batch that failed validation, a required source missing for the day).

    ``result`` is the stage's typed result where it produced one (the rows it did load, the
    batches it did validate), so a caller can still show it.
    """

    def __init__(self, message: str, *, result: object | None = None) -> None:
        super().__init__(message)
        self.result = result


class WarehouseLocked(WarehouseError):
    """Another process holds the DuckDB file (a nightly, a writer): worth a retry, and the
    command line's "busy" exit code."""
