"""What a TWIN_HOME holds, reduced to numbers two runs can be compared by.

Grain: ``fingerprint`` gives one (rows, checksum) per table of the warehouse that carries data
(raw, core, history, the twin and report views, quarantine, ingest manifest);
``row_accounting`` gives one line per landing file: rows read, rows in raw, rows quarantined
at ingest, and rows of the file present more than once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from twin_core.warehouse import quote_ident

# Columns that legitimately differ between two runs on the same input, left out of checksums:
# - batch and run ids are random per run (``_batch_id``, ``batch_id``, ``run_id``), and a
#   run killed mid-ingest leaves its committed files in a batch of their own;
# - wall-clock times: ``_ingested_at``, ``started_at``, ``finished_at``, ``ingested_at``,
#   ``validated_at``, ``quarantined_at``, ``created_at``, ``seconds``;
# - ``snapshot_id``: ids come from a sequence, and a run killed after taking one leaves a gap
#   (history rows are compared per plant day instead, see below);
# - ``input_batches`` lists batch ids, ``by_batch`` names one; ``data_docs`` is a path under
#   the home folder; ``promoted_at`` is the wall-clock time of a promotion; ``mtime_ns`` is a
#   landed file's modification time (two copies of a home need not keep it).
VOLATILE = frozenset(
    {
        "_batch_id",
        "batch_id",
        "run_id",
        "_ingested_at",
        "started_at",
        "finished_at",
        "ingested_at",
        "validated_at",
        "quarantined_at",
        "created_at",
        "seconds",
        "snapshot_id",
        "input_batches",
        "data_docs",
        "by_batch",
        "promoted_at",
        "mtime_ns",
    }
)

# Compared row for row (less VOLATILE). Left out: ``ingest.batches`` (a crash splits one
# night's files over two batches; its totals are compared through ``ingest.files``),
# ``quality.validation_runs`` / ``validation_sources`` (one row per batch and expectation, so
# they follow the batch split too), ``core.promoted_batches`` (one row per batch, likewise;
# the readings it makes visible are compared through the ``core.sensor_readings`` view), ``meta.*`` (bookkeeping of the code, not data) and
# ``scenario.*`` (nothing in the nightly writes it).
SCHEMAS = ("raw", "core")
TABLES = (("quality", "quarantine"), ("ingest", "files"))
LEFT_OUT = (("core", "promoted_batches"),)


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple[str, str]]:
    return [
        (str(n), str(t))
        for n, t in con.execute(
            "select column_name, data_type from duckdb_columns() where schema_name = ? "
            "and table_name = ? and database_name = current_database() order by column_index",
            [schema, table],
        ).fetchall()
    ]


def _expr(name: str, dtype: str) -> str:
    q = quote_ident(name)
    # Doubles to 6 decimals: DuckDB's parallel aggregates may differ in the last bits.
    return f"round({q}, 6)" if dtype in ("DOUBLE", "FLOAT") else q


def _checksum(
    con: duckdb.DuckDBPyConnection, relation: str, cols: list[tuple[str, str]]
) -> tuple[int, int]:
    kept = [_expr(n, t) for n, t in cols if n not in VOLATILE]
    row = con.execute(
        f"select count(*), coalesce(sum(hash({', '.join(kept)})::hugeint), 0) from {relation}"
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def fingerprint(warehouse: Path) -> dict[str, tuple[int, int]]:
    """(rows, order-independent checksum) per table, volatile columns left out.

    ``history.<t>``: the rows of the latest complete snapshot of each plant day, keyed by the
    day (a rerun after a crash that followed the rebuild's commit builds that day again; the
    earlier snapshot stays in history, superseded). ``twin.<v>`` / ``report.<v>``: the views of
    the latest snapshot, as analysts see them (``twin.snapshots``: the latest of each day).
    """
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        out: dict[str, tuple[int, int]] = {}
        names = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = current_database() order by 1, 2"
        ).fetchall()
        latest = (
            "(select as_of, max(snapshot_id) as snapshot_id from history.snapshots "
            "where status = 'complete' group by as_of)"
        )
        for schema, table in names:
            cols = _columns(con, schema, table)
            rel = f"{quote_ident(schema)}.{quote_ident(table)}"
            if (schema, table) in LEFT_OUT:
                continue
            if schema in SCHEMAS or (schema, table) in TABLES:
                out[f"{schema}.{table}"] = _checksum(con, rel, cols)
            elif schema == "history" and any(n == "snapshot_id" for n, _ in cols):
                joined = f"(select t.*, l.as_of as _day from {rel} t join {latest} l using (snapshot_id))"
                key = "as_of" if table == "snapshots" else "_day"
                out[f"history.{table}"] = _checksum(con, joined, [*cols, (key, "DATE")])
        views = con.execute(
            "select schema_name, view_name from duckdb_views() where not internal "
            "and (schema_name in ('twin', 'report') or (schema_name, view_name) = "
            "('core', 'sensor_readings')) and database_name = current_database() "
            "order by 1, 2"
        ).fetchall()
        for schema, view in views:
            rel = f"{quote_ident(schema)}.{quote_ident(view)}"
            if (schema, view) == ("twin", "snapshots"):
                # It lists every snapshot: the superseded ones of a rebuilt day left out.
                rel = (
                    f"(select * from {rel} where snapshot_id in (select snapshot_id from {latest}))"
                )
            out[f"{schema}.{view}"] = _checksum(con, rel, _columns(con, schema, view))
        return out
    finally:
        con.close()


@dataclass(frozen=True)
class FileRows:
    file: str
    rows_read: int  # the manifest's count
    in_raw: int
    quarantined_at_ingest: int
    doubled: int  # rows of the file present in raw more than once

    @property
    def whole(self) -> bool:
        """Every row the manifest counts is in raw or quarantine, once."""
        return self.in_raw + self.quarantined_at_ingest == self.rows_read and not self.doubled


@dataclass(frozen=True)
class Accounting:
    files: list[FileRows]
    orphans: int  # raw rows of a file the manifest does not record as loaded (a half file)

    @property
    def rows(self) -> int:
        return sum(f.in_raw + f.quarantined_at_ingest for f in self.files)

    @property
    def doubled(self) -> int:
        return sum(f.doubled for f in self.files)

    @property
    def missing(self) -> int:
        """Rows the manifest counts that are neither in raw nor in quarantine."""
        return sum(max(f.rows_read - f.in_raw - f.quarantined_at_ingest, 0) for f in self.files)

    @property
    def broken(self) -> list[str]:
        """Files not whole in raw and quarantine."""
        return [f.file for f in self.files if not f.whole]


def row_accounting(warehouse: Path) -> Accounting:
    """Per loaded landing file: what the manifest read, and where its rows are now. Raw is
    append-only and a content is loaded once, so (file, row) is unique in raw."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        loaded = con.execute(
            "select source, file, sum(rows_read) from ingest.files where status = 'loaded' "
            "group by all order by file"
        ).fetchall()
        files = []
        for source, file, read in loaded:
            raw = f"raw.{quote_ident(str(source))}"
            row = con.execute(
                f"select count(*), count(*) - count(distinct _row) from {raw} where _file = ?",
                [file],
            ).fetchone()
            q = con.execute(
                "select count(*) from quality.quarantine where stage = 'ingest' and file = ? "
                'and "row" is not null',
                [file],
            ).fetchone()
            assert row is not None and q is not None
            files.append(FileRows(str(file), int(read), int(row[0]), int(q[0]), int(row[1])))
        orphans = 0
        tables = con.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw' "
            "and database_name = current_database()"
        ).fetchall()
        for (table,) in tables:
            row = con.execute(
                f"select count(*) from raw.{quote_ident(str(table))} where _file not in "
                "(select file from ingest.files where status = 'loaded')"
            ).fetchone()
            orphans += int(row[0]) if row else 0
        return Accounting(files, orphans)
    finally:
        con.close()


def published_day(plant: Path) -> str | None:
    """The plant day of the snapshot ``plant.duckdb`` shows, opened read-only as analysts do
    (None: no file)."""
    if not plant.exists():
        return None
    con = duckdb.connect(str(plant), read_only=True)
    try:
        row = con.execute(
            "select s.as_of from meta.publish p join twin.snapshots s using (snapshot_id)"
        ).fetchone()
        return None if row is None else str(row[0])
    finally:
        con.close()
