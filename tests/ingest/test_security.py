"""Paths and names from files never become SQL: quotes in them are data."""

from __future__ import annotations

import json

import pytest

from tests.ingest.conftest import drop, rows
from twin_core.ingest import IngestError, ingest_landing
from twin_core.settings import Settings


def test_file_path_with_quotes_is_read(home: Settings) -> None:
    """A file named with single and double quotes loads (paths are bound parameters)."""
    drop(home, "suppliers", 'it\'s "odd"; drop table x.csv', "supplier_id,name\nSUP1,Acme\n")
    (f,) = ingest_landing(home).files
    assert (f.status, f.rows_loaded) == ("loaded", 1)
    assert rows(home, "select _file from raw.suppliers") == [
        ('suppliers/it\'s "odd"; drop table x.csv',)
    ]


def test_column_names_with_quotes_are_kept_as_data(home: Settings) -> None:
    """Header names that look like SQL stay names: kept in _extra and in the quarantine JSON."""
    header = 'supplier_id,name,"x"") from y; --",it\'s'
    drop(home, "suppliers", "s.csv", f"{header}\nSUP1,Acme,a,b\n")
    ingest_landing(home)
    (extra,) = rows(home, "select _extra from raw.suppliers")[0]
    assert json.loads(extra) == {'x") from y; --': "a", "it's": "b"}


def test_unknown_source_is_refused(home: Settings) -> None:
    """A source name not in the contract is an error, not a folder to read."""
    with pytest.raises(IngestError, match="unknown source"):
        ingest_landing(home, sources=["machines; drop table raw.machines"])
