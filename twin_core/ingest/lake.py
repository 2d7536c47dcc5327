"""The lake: sensor readings stored once, as write-once Parquet files beside the warehouse.

Layout: ``TWIN_HOME/lake/<source>/site=<id>/day=<date>/<sha256>.parquet``; the name is the
SHA-256 of the file's bytes (content-addressed: the same content lands at the same path, and
a file is never rewritten), ``day`` the date of its earliest reading and ``site`` the site of
its first sensor (``unknown`` before the sensor's machine is known). One row per file in
``ingest.lake_files`` (sql/schema/120_lake.sql) holds the provenance every row of it shares
(batch, landing file, ingest time), so no row carries those strings.

Two ways in:

- **adopted**: a landing Parquet file whose columns are the contract's, named and typed as
  the contract says, is hard-linked (copied across file systems) into the lake as it is; its
  ``_row`` is its Parquet row number plus one. Nothing can fail a cast, nothing is re-encoded.
- **converted**: any other file (CSV, JSON, a Parquet file of other names or types) is read
  and typed once, and written with its row numbers (``_row``) and ``_extra`` (schema drift,
  or the marker of a row that failed a cast: those rows are copied to the quarantine and
  left out of the view).

``raw.sensor_readings`` is a view over the lake files recorded in the manifest and
``raw.sensor_readings_rows`` (rows stored by earlier versions); ``refresh_view`` rewrites it
in the transaction that records a file, so a crash leaves either both or neither (a lake file
whose manifest row did not commit is unreferenced; the same content reuses it next time).
The view's paths are absolute, so any DuckDB client opening the warehouse reads it; a home
that moved gets its views rewritten at the next write open (``ensure_root``). docs/lake.md
shows how to read the lake directly.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from twin_core.contracts import Source
from twin_core.ingest.mapping import Resolved
from twin_core.ingest.readers import Relation
from twin_core.warehouse import sql_literal, transaction

# Sources kept in the lake, and the warehouse table of rows stored before the lake existed.
LAKE_SOURCES: dict[str, str] = {"sensor_readings": "raw.sensor_readings_rows"}
LAKE_DIR = "lake"
STASH = "!"  # as twin_core.ingest.load.STASH: the marker of a row that failed a cast
_CHUNK = 1 << 20


@dataclass(frozen=True)
class LakeFile:
    path: str  # relative to TWIN_HOME
    sha256: str
    how: str  # adopted | converted
    rows: int
    site_id: str
    day: date | None


def in_lake(source: str) -> bool:
    return source in LAKE_SOURCES


def rows_table(source: str) -> str:
    """The warehouse table rows of ``source`` can be inserted into (``raw.<source>`` is a view
    for a source kept in the lake; its table holds rows stored outside the lake)."""
    from twin_core.warehouse import quote_ident

    return LAKE_SOURCES.get(source, f"raw.{quote_ident(source)}")


def fits_contract(
    con: duckdb.DuckDBPyConnection, contract: Source, rel: Relation, res: Resolved, fmt: str
) -> bool:
    """A Parquet file with exactly the contract's columns, each of the contract's type and
    read under its own name: the lake can hold the file itself.

    Unless a DOUBLE column holds NaN: writers (Arrow, polars) leave NaN out of a column's
    min/max statistics, and DuckDB trusts them, so a filter such as validation's range check
    would skip the row group holding the NaN reading. Such a file is converted instead
    (DuckDB writes no min/max for a column with NaN). The check reads those columns once."""
    if fmt != "parquet" or res.extra or res.missing_optional:
        return False
    by_name = dict(zip(rel.columns, rel.types, strict=True))
    if len(by_name) != len(contract.columns) or any(
        by_name.get(c.name) != c.type for c in contract.columns
    ):
        return False
    doubles = [c.name for c in contract.columns if c.type == "DOUBLE"]
    if not doubles:
        return True
    path = rel.params["path"]
    col_index = {name: i for i, name in enumerate(rel.columns)}
    nan = " or ".join(f"isnan(c{col_index[d]})" for d in doubles)
    aliases = ", ".join(f"c{i}" for i in range(len(rel.columns)))
    row = con.execute(
        f"select count(*) filter (where {nan}) from read_parquet($path) as t({aliases})",
        {"path": path},
    ).fetchall()
    return int(row[0][0]) == 0


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _site_of(con: duckdb.DuckDBPyConnection, sensor_id: str | None) -> str:
    """The site of the sensor's machine, from core or (same batch) raw master data."""
    if sensor_id is None:
        return "unknown"
    for layer in ("core", "raw"):
        row = con.execute(
            f"select m.site_id from {layer}.sensors s join {layer}.machines m "
            "on m.machine_id = s.machine_id where s.sensor_id = $s and m.site_id is not null "
            "limit 1",
            {"s": sensor_id},
        ).fetchone()
        if row and row[0]:
            return str(row[0])
    return "unknown"


def _safe_part(text: str) -> str:
    """A site id as one path segment (ids are plain words; anything else becomes '_')."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text) or "_"


def store(
    con: duckdb.DuckDBPyConnection,
    home: Path,
    contract: Source,
    landing_path: Path,
    typed_select: str | None,
    params: dict[str, object],
    *,
    adopt: bool,
) -> LakeFile:
    """Put one landing file's readings into the lake (adopt it, or write ``typed_select``:
    the contract columns, ``_row`` and ``_extra``). Idempotent by content."""
    incoming = home / LAKE_DIR / ".incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    tmp = incoming / f"{secrets.token_hex(8)}.parquet"
    try:
        if adopt:
            try:
                os.link(landing_path, tmp)
            except OSError:
                shutil.copyfile(landing_path, tmp)
            how = "adopted"
        else:
            assert typed_select is not None
            con.sql(typed_select, params=params).write_parquet(str(tmp), compression="zstd")
            how = "converted"
        sha = _sha256(tmp)
        row = con.execute(
            "select count(*), min(ts)::date, arg_min(sensor_id, ts) from read_parquet($p)",
            {"p": str(tmp)},
        ).fetchall()[0]
        rows, day, first_sensor = int(row[0]), row[1], row[2]
        site = _safe_part(_site_of(con, first_sensor))
        rel = f"{LAKE_DIR}/{contract.name}/site={site}/day={day or 'none'}/{sha}.parquet"
        dest = home / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists():
            tmp.unlink()  # the same content is there already (write-once)
        else:
            os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return LakeFile(rel, sha, how, rows, site, day)


def record(
    con: duckdb.DuckDBPyConnection,
    source: str,
    lf: LakeFile,
    *,
    batch_id: str,
    file: str,
    ingested_at: datetime,
    home: Path,
) -> None:
    """Record the lake file in the manifest and rewrite the view (the caller's transaction)."""
    con.execute(
        "delete from ingest.lake_files where source = $s and batch_id = $b and file = $f",
        {"s": source, "b": batch_id, "f": file},
    )
    con.execute(
        "insert into ingest.lake_files values ($s, $p, $h, $how, $b, $f, $at, $n, $site, $day)",
        {
            "s": source,
            "p": lf.path,
            "h": lf.sha256,
            "how": lf.how,
            "b": batch_id,
            "f": file,
            "at": ingested_at,
            "n": lf.rows,
            "site": lf.site_id,
            "day": lf.day,
        },
    )
    refresh_view(con, source, home)


def quarantine_marked(
    con: duckdb.DuckDBPyConnection, source: str, path: Path, batch_id: str, file: str, at: datetime
) -> int:
    """Copy the rows of a converted lake file that failed a cast to the quarantine."""
    row = con.execute(
        "insert into quality.quarantine "
        '(batch_id, source, file, "row", stage, rule, reason, raw_values, quarantined_at) '
        "select $b, $source, $f, _row, 'ingest', s ->> 'rule', s ->> 'reason', "
        "(s -> 'raw')::varchar, $at "
        "from (select _row, substr(_extra, 2)::json as s from read_parquet($p) "
        "where starts_with(_extra, $stash)) order by _row",
        {"b": batch_id, "source": source, "f": file, "at": at, "p": str(path), "stash": STASH},
    ).fetchone()
    return int(row[0]) if row else 0


def view_sql(con: duckdb.DuckDBPyConnection, source: str, home: Path) -> str:
    """The view ``raw.<source>``: the warehouse's rows and one branch per lake file, with the
    file's provenance as constants (a filter on ``_batch_id`` or ``_file`` skips the files of
    other batches without reading them)."""
    from twin_core.contracts import SOURCES
    from twin_core.warehouse import quote_ident

    contract = SOURCES[source]
    cols = [quote_ident(c.name) for c in contract.columns]
    branches = [
        f"select {', '.join(cols)}, _batch_id, _file, _row, _extra, _ingested_at "
        f"from {LAKE_SOURCES[source]}"
    ]
    names = ", ".join(cols)
    files = con.execute(
        "select path, how, batch_id, file, ingested_at from ingest.lake_files "
        "where source = $s order by ingested_at, file",
        {"s": source},
    ).fetchall()
    for path, how, batch_id, file, at in files:
        prov = (
            f"{sql_literal(str(batch_id))} as _batch_id, {sql_literal(str(file))} as _file, "
            f"{{row}}, {{extra}}, timestamp {sql_literal(str(at))} as _ingested_at"
        )
        path = (home / str(path)).as_posix()
        if how == "adopted":
            sel = prov.format(row="file_row_number + 1 as _row", extra="null::varchar as _extra")
            branches.append(
                f"select {names}, {sel} from read_parquet({sql_literal(str(path))}, "
                "file_row_number=true)"
            )
        else:
            sel = prov.format(row="_row", extra="_extra")
            branches.append(
                f"select {names}, {sel} from read_parquet({sql_literal(str(path))}) "
                f"where _extra is null or not starts_with(_extra, {sql_literal(STASH)})"
            )
    return f"create or replace view raw.{quote_ident(source)} as\n" + "\nunion all\n".join(branches)


def refresh_view(con: duckdb.DuckDBPyConnection, source: str, home: Path) -> None:
    from twin_core.tables import comment_statements

    con.execute(view_sql(con, source, home))
    # create or replace drops the view's comments: give it its declared meanings again
    for statement in comment_statements(con, only=f"raw.{source}"):
        con.execute(statement)
    con.execute("delete from meta.lake_root")
    con.execute("insert into meta.lake_root values ($r)", {"r": str(home)})


def ensure_root(con: duckdb.DuckDBPyConnection, home: Path) -> None:
    """Rewrite the views when the home has moved since they were written (their paths are
    absolute, so that any DuckDB client opening the warehouse reads them)."""
    row = con.execute("select any_value(root) from meta.lake_root").fetchall()
    if row[0][0] in (None, str(home)):
        return
    with transaction(con):
        for source in LAKE_SOURCES:
            refresh_view(con, source, home)


def lake_paths(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every lake file the manifest refers to (relative to TWIN_HOME)."""
    return [str(r[0]) for r in con.execute("select path from ingest.lake_files").fetchall()]


def verify(con: duckdb.DuckDBPyConnection, home: Path) -> tuple[int, list[str]]:
    """(files checked, problems): each lake file the manifest names must be in TWIN_HOME
    with the bytes its hash names (``twin doctor``; reads every lake file)."""
    rows = con.execute("select distinct path, sha256 from ingest.lake_files order by 1").fetchall()
    bad: list[str] = []
    for path, sha in rows:
        full = home / str(path)
        if not full.is_file():
            bad.append(f"{path} is missing")
        elif _sha256(full) != sha:
            bad.append(f"{path} does not match its hash (changed or damaged)")
    return len(rows), bad
