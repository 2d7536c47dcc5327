"""What a file loses without an error is said: a trailing empty CSV field, a JSON key's
second value, a timestamp's nanoseconds and a DATE's time part each load (the value the
contract keeps) and leave a schema or precision note in the file's result, its manifest row
and the reconciliation table; a file without any of them has no note. Row accounting per
file as everywhere: rows read = loaded + quarantined."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from twin_core.ingest import ingest_landing
from twin_core.ingest.result import FileResult, IngestResult
from twin_core.markdown import md_text
from twin_core.settings import Settings
from twin_core.warehouse import open_warehouse

R = "sensor_id,ts,value"
D = "order_id,product_id,due_date,qty"


@dataclass(frozen=True)
class Case:
    kind: str
    file: str  # relative to landing/
    content: str | None  # None: written by _special
    says: str | None  # in the note (None: no note at all)
    rows: int  # rows read (= loaded)
    first: int | None = None  # the row the note names first
    stored: object = None  # (table, column, value) the kept value


CASES = (
    Case("trailing empty field", "sensor_readings/trail.csv",
         f"{R}\nS1,2026-03-02T10:00:00,1.5\nS1,2026-03-02T11:00:00,2.5,\nS1,2026-03-02T12:00:00,3.5,\n",
         "schema note: an empty field beyond the header's 3 columns (a trailing comma) on 2 rows",
         3, 2, ("raw.sensor_readings", "value", 2.5)),
    Case("duplicate JSON key", "sensor_readings/dup.jsonl",
         '{"sensor_id":"S3","ts":"2026-03-02T10:00:00","value":1.0}\n'
         '{"sensor_id":"S3","ts":"2026-03-02T11:00:00","value":1.0,"value":2.0}\n',
         "schema note: a key repeated within one JSON object on 1 row", 2, 2,
         ("raw.sensor_readings", "value", 1.0)),
    Case("nanoseconds in CSV text", "sensor_readings/nanos.csv",
         f"{R}\nS2,2026-03-02T10:00:00.123456789,1.5\nS2,2026-03-02T11:00:00.123456000,1.5\n",
         "precision note: ts finer than a microsecond on 1 row", 2, 1,
         ("raw.sensor_readings", "ts", datetime(2026, 3, 2, 10, 0, 0, 123456))),
    Case("nanoseconds in Parquet", "sensor_readings/nanos.parquet", None,
         "precision note: ts finer than a microsecond on 1 row", 2, 2,
         ("raw.sensor_readings", "ts", datetime(2026, 3, 2, 11, 0, 0, 1))),
    Case("DATE with a time of day", "demand/dt.csv",
         f"{D}\nO1,P1,2026-03-05,3\nO2,P1,2026-03-05 14:30:00,3\nO3,P1,2026-03-06T00:00:00,1\n",
         "precision note: due_date (a date) with a time of day on 1 row", 3, 2,
         ("raw.demand", "due_date", date(2026, 3, 5))),
    Case("nothing lost", "sensor_readings/clean.csv",
         f"{R}\nS4,2026-03-02T10:00:00.5,1.5\nS4,2026-03-02T11:00:00,\n", None, 2),
)  # fmt: skip


def _special(path: Path) -> None:
    """A Parquet file with a nanosecond timestamp column (one value with nanoseconds)."""
    ts = pa.array([1772445600_000_000_000, 1772449200_000_001_400], type=pa.timestamp("ns"))
    pq.write_table(pa.table({"sensor_id": ["S5", "S5"], "ts": ts, "value": [1.0, 2.0]}), str(path))


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict[str, FileResult]]:
    settings = Settings(home=tmp_path_factory.mktemp("notes"), ingest_settle_s=0)
    for case in CASES:
        path = settings.landing_dir / case.file
        path.parent.mkdir(parents=True, exist_ok=True)
        if case.content is None:
            _special(path)
        else:
            path.write_text(case.content, encoding="utf-8")
    result = ingest_landing(settings)
    return settings, {f.file: f for f in result.files}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.kind)
def test_a_loss_without_error_is_noted_and_the_rows_load(
    ingested: tuple[Settings, dict[str, FileResult]], case: Case
) -> None:
    settings, files = ingested
    got = files[case.file]
    assert got.status == "loaded", got.reason
    assert (got.rows_read, got.rows_loaded, got.rows_quarantined) == (case.rows, case.rows, 0)
    assert got.reconciles
    if case.says is None:
        assert got.reason is None
        return
    assert got.reason is not None and case.says in got.reason, got.reason
    assert f"(first: row {case.first})" in got.reason
    with open_warehouse(settings, read_only=True) as con:
        stored = con.execute(
            "select reason from ingest.files where file = ? order by all", [case.file]
        ).fetchall()
        assert [r[0] for r in stored] == [got.reason]
        table, column, value = case.stored  # type: ignore[misc]
        kept = {
            r[0]
            for r in con.execute(
                f"select {column} from {table} where _file = ?", [case.file]
            ).fetchall()
        }
    assert value in kept


def test_the_notes_reach_the_reconciliation_table(
    ingested: tuple[Settings, dict[str, FileResult]],
) -> None:
    _, files = ingested
    md = IngestResult(batch_id="b", started_at=datetime(2026, 3, 2), files=list(files.values()))
    text = md.to_markdown()
    for case in CASES:
        if case.says is not None:
            assert md_text(case.says) in text  # escaped like every extract-derived text
