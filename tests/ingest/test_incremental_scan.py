"""A run knows a landed file it ingested before by its size and modification time (kept in
``ingest.files.mtime_ns``), without reading it to hash it again; anything else about the file
changed and it is hashed as before."""

from __future__ import annotations

import os

from tests.ingest.conftest import drop, rows
from twin_core.ingest import ingest_landing
from twin_core.ingest.result import UNCHANGED
from twin_core.settings import Settings

GOOD = "supplier_id,name\nS1,Acme\n"


def test_unchanged_file_is_known_by_size_and_mtime_without_reading_it(home: Settings) -> None:
    """Same size, same nanosecond mtime: skipped as unchanged from the manifest alone. Shown by
    the one case that tells it apart from hashing: bytes swapped behind an unchanged stat."""
    path = drop(home, "suppliers", "s.csv", GOOD)
    ingest_landing(home)
    st = path.stat()
    assert rows(home, "select mtime_ns from ingest.files") == [(st.st_mtime_ns,)]
    path.write_text(GOOD.replace("Acme", "Acmf"))  # same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    (f,) = ingest_landing(home).files
    assert (f.status, f.reason) == ("skipped", UNCHANGED)
    # Touching it (a new mtime) makes the run hash it: the new content is loaded.
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    (f,) = ingest_landing(home).files
    assert (f.status, f.rows_loaded) == ("loaded", 1)
    assert rows(home, "select name from raw.suppliers order by _ingested_at") == [
        ("Acme",),
        ("Acmf",),
    ]


def test_touched_file_with_the_same_content_is_hashed_once_then_known_by_stat(
    home: Settings,
) -> None:
    """A new mtime with the same bytes: hashed, found unchanged, and its new mtime kept on the
    version, so the run after that knows it by stat (also for versions recorded before mtimes
    were kept, whose mtime_ns is null)."""
    path = drop(home, "suppliers", "s.csv", GOOD)
    ingest_landing(home)
    later = path.stat().st_mtime_ns + 5_000_000_000
    os.utime(path, ns=(later, later))
    (f,) = ingest_landing(home).files
    assert (f.status, f.reason) == ("skipped", UNCHANGED)
    assert rows(home, "select mtime_ns from ingest.files") == [(later,)]
    assert rows(home, "select count(*) from ingest.batches") == [(1,)]  # no batch for it


def test_a_file_quarantined_whole_stays_named_by_the_stat_path(home: Settings) -> None:
    """An unchanged file quarantined whole is still reported with its reason, and
    --retry-quarantined still reads it again."""
    drop(home, "suppliers", "bad.csv", "supplier_id\nS1\n")
    ingest_landing(home)
    (f,) = ingest_landing(home).files
    assert f.status == "skipped"
    assert (f.reason or "").startswith("unchanged since quarantined in batch ")
    assert "missing required column(s) name" in (f.reason or "")
    (retried,) = ingest_landing(home, retry_quarantined=True).files
    assert (retried.status, retried.rule) == ("quarantined", "missing_column")


def test_a_file_grown_in_place_is_read_again(home: Settings) -> None:
    """A new size is new content whatever the mtime: the new version loads."""
    path = drop(home, "suppliers", "s.csv", GOOD)
    ingest_landing(home)
    st = path.stat()
    path.write_text(GOOD + "S2,Bolt\n")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    (f,) = ingest_landing(home).files
    assert (f.status, f.rows_loaded) == ("loaded", 2)
