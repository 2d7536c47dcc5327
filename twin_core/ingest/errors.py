"""Errors of the ingest stage that a user acts on (they are configuration, not data: bad data
is quarantined, never raised)."""

from __future__ import annotations


class IngestError(Exception):
    """Ingest cannot start as asked: an unknown source, a broken mapping file, no landing
    folder. Nothing was written."""
