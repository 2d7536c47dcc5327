"""Errors a user can act on, importable without the engines (the CLI's error boundary uses them
before anything heavy is loaded)."""

from __future__ import annotations

import errno
import sys


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


# errno values of an I/O error another attempt can fix: a file locked or busy for a moment, an
# interrupted or failed read, a timeout, a stale network file handle.
_TRANSIENT_ERRNO = frozenset(
    {errno.EAGAIN, errno.EBUSY, errno.EIO, errno.EINTR, errno.ETIMEDOUT, errno.ESTALE}
)


def is_transient(exc: object) -> bool:
    """An error worth a retry (the one retry predicate of every task that retries).

    Retried: a warehouse another process holds (``WarehouseLocked``), DuckDB's I/O errors, an
    ``OSError`` with a transient errno or none at all (an unknown I/O failure). Not retried:
    every other ``WarehouseError`` (missing, damaged, unknown site), a missing file or folder,
    a permission error, bad data, bugs: another attempt cannot fix them.
    """
    if isinstance(exc, WarehouseError):
        return isinstance(exc, WarehouseLocked)
    duckdb = sys.modules.get("duckdb")  # not imported: exc cannot be one of its errors
    if duckdb is not None and isinstance(exc, duckdb.IOException):
        return True
    if isinstance(exc, OSError):
        return exc.errno is None or exc.errno in _TRANSIENT_ERRNO
    return False
