"""No value is pasted into SQL text: a static check of every f-string handed to DuckDB.

Values reach SQL as parameters (``?``, ``$name``). What an f-string may interpolate into a
statement is an identifier quoted by ``quote_ident`` or a fragment built from identifiers the
code itself owns (contract names, its own table names, column lists from the contract). The
allow-list below names each such expression per module; a new interpolation fails this test
until it is either made a parameter or added here with the reason it cannot carry a value.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SQL_CALLS = {"execute": 0, "executemany": 0, "sql": 0, "fetch_polars": 1}
SAFE_CALLS = {"quote_ident", "int", "safe_token"}

# module -> expressions (as ast.unparse writes them) that only ever hold identifiers or SQL
# fragments made of them.
ALLOWED: dict[str, set[str]] = {
    # schema/object names read from duckdb_tables() and quoted; body is a view over them.
    "twin_cli/basics.py": {"sch", "obj", "body"},
    # a union of selects of quoted core/raw table names read from duckdb_columns().
    "twin_core/sites.py": {"union"},
    # schema.table from duckdb_tables(), each part quoted (the integrity scan).
    "twin_core/warehouse.py": {"name"},
    # raw.<contract name> (quoted) and a fixed predicate text.
    "twin_core/ingest/load.py": {"table", "where"},
    # a fixed read_json_objects($path, ...) call; rel.sql: the SQL probe() made (fixed text
    # over c0..cN, file paths and names as parameters).
    "twin_core/ingest/readers.py": {"read", "rel.sql"},
    # n: len() of the probed columns (an int, naming c<n>); rel.sql as in readers.py; j: the
    # probe's fixed JSON column name (json_column of a read_json_objects relation).
    "twin_core/ingest/notes.py": {"n", "rel.sql", "j"},
    # a constant chosen from two literals.
    "twin_core/ingest/run.py": {"'false' if f.format == 'parquet' else 'true'"},
    # s, t: quote_ident of names read from duckdb_tables(); storage_version: checked against
    # v<digits>.<digits>.<digits> just before (ATTACH options take no parameters).
    "twin_core/publish.py": {"s", "t", "storage_version"},
    # version: the checked published_storage_version setting; alias: site_<index>; src: an
    # alias and quote_ident of view names read from duckdb_views(); schema: a module constant;
    # body: a union of those selects (site ids are parameters).
    "twin_core/enterprise.py": {"version", "alias", "src", "schema", "body"},
    # target: a history table a builder declared; cols: quoted contract columns.
    "twin_core/rebuild.py": {"target", "cols"},
    "twin_core/twin/inputs.py": {"cols"},
    # cols: a fixed column list of history.snapshots.
    "twin_core/report/data.py": {"cols"},
    # cols: quoted columns of the scenario tables.
    "twin_core/scenario/run.py": {"cols"},
    # table: one of the cache's own table names (a dict literal in the module).
    "twin_core/twin/sensor_cache.py": {"table"},
    # the scratch table of reference ids (a module constant); table/col: raw.<contract name>
    # and its key's time column, quoted.
    "twin_core/validation/facts.py": {"REFS_TABLE", "table", "col"},
    # table/t/tq: core.<contract name> quoted; stage: a temp table named by the module;
    # candidates/same_key/in_span/cols: SQL built from the contract's key and columns.
    "twin_core/validation/promote.py": {
        "table",
        "t",
        "tq",
        "stage",
        "candidates",
        "same_key",
        "in_span",
        "cols",
    },
    # excl: the exclusions table named in the module's IN_PLACE literal; table/core/t: raw. and
    # core.<contract name> and its time column, quoted; pairs: a temp table named by the module;
    # in_span: a fixed range predicate on t whose bounds are parameters.
    "twin_core/validation/promote_in_place.py": {"excl", "table", "core", "t", "pairs", "in_span"},
    # covered / found: the module's fixed predicates (a dict literal and a literal); t: one of
    # WATCH_TABLES, quoted; values
    # (snapshot, kind, cut) are parameters.
    "twin_core/watch/alerts.py": {"covered", "found", "t"},
    # key: the contract's key columns, quoted; FAILING: the module's temp table name; counts:
    # count(*) filter over its numbered boolean columns.
    "twin_core/validation/quarantine.py": {"key", "FAILING", "counts"},
    # layer: core/raw from a literal tuple; nan / aliases: isnan() over and aliases of the
    # module's numbered columns c0..cN.
    "twin_core/ingest/lake.py": {"layer", "nan", "aliases"},
}


def _sql_fstrings(root: Path = ROOT) -> list[tuple[str, int, str]]:
    """(module, line, interpolated expression) of every f-string passed as SQL to DuckDB."""
    found: list[tuple[str, int, str]] = []
    for path in sorted(
        [
            *root.glob("twin_core/**/*.py"),
            *root.glob("flows/**/*.py"),
            *root.glob("twin_cli/**/*.py"),
        ]
    ):
        module = path.relative_to(root).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
            pos = SQL_CALLS.get(str(name))
            if pos is None or len(node.args) <= pos:
                continue
            arg = node.args[pos]
            if isinstance(arg, ast.JoinedStr):
                for part in arg.values:
                    if isinstance(part, ast.FormattedValue):
                        found.append((module, node.lineno, ast.unparse(part.value)))
    return found


def _safe(module: str, expr: str) -> bool:
    head = expr.split("(", 1)[0]
    return (head in SAFE_CALLS and expr.endswith(")")) or expr in ALLOWED.get(module, set())


def test_sql_fstrings_interpolate_only_identifiers() -> None:
    """Every f-string given to DuckDB interpolates quoted identifiers or allow-listed fragments."""
    found = _sql_fstrings()
    assert found, "the scan found no SQL f-strings at all: it is not looking at the code"
    pasted = [f"{m}:{line}: {{{e}}}" for m, line, e in found if not _safe(m, e)]
    assert pasted == []


def test_the_check_catches_a_pasted_value(tmp_path: Path) -> None:
    """A value interpolated into a statement is reported, even in a module with an allow-list."""
    module = tmp_path / "twin_core" / "validation" / "promote.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "def f(con, table, name):\n"
        "    con.execute(f\"select * from {table} where name = '{name}'\")\n",
        encoding="utf-8",
    )
    found = _sql_fstrings(tmp_path)
    expected = [("twin_core/validation/promote.py", 2, "name")]
    assert [(m, line, e) for m, line, e in found if not _safe(m, e)] == expected
