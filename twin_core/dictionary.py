"""The data dictionary of the query surface, generated from the table declarations.

Every table's grain and every column's meaning are declared once in ``twin_core/tables.py``
(the landing sources' in ``twin_core/contracts.py``); the same text is the DuckDB ``COMMENT``
a DuckDB client shows. ``twin dictionary --write docs/dictionary.md`` regenerates
docs/dictionary.md and a test keeps that file equal to the declarations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from twin_core.tables import TABLES

START, END = "<!-- dictionary:start -->", "<!-- dictionary:end -->"
DICTIONARY_PAGE = Path(__file__).resolve().parent.parent / "docs" / "dictionary.md"

# How each warehouse table appears to analysts in plant.duckdb.
SURFACE: dict[str, str] = {"history": "twin", "quality": "quality", "ingest": "ingest"}
VIEW_NAME_OVERRIDES = {
    "history.instructions": "report.instructions",
    "history.instruction_history": "report.instruction_history",
}
# History tables that are not per snapshot (the hourly quality watch's): shown under their own
# name; twin.quality_alerts is a view of every alert, not of the latest snapshot.
NOT_PER_SNAPSHOT = frozenset({"quality_alerts", "watch_runs", "watch_batches"})

_HEADER = """# Data dictionary of plant.duckdb

Generated from the table declarations (`twin_core/tables.py`; the extracts' own columns in
`twin_core/contracts.py`, described by `twin contracts`) by
`twin dictionary --write docs/dictionary.md`; a test keeps this page current. The same text
is the `COMMENT` of each table, view and column in `plant.duckdb`, so DuckDB clients show it
(`select comment from duckdb_columns()`).

Units: durations in seconds (`_s`), quantities in units of the product or the material's
unit, dates are plant-timezone days, timestamps are UTC.

"""


@dataclass
class TableDoc:
    schema: str
    name: str
    description: str
    columns: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def surface_name(self) -> str:
        full = f"{self.schema}.{self.name}"
        if full in VIEW_NAME_OVERRIDES:
            return VIEW_NAME_OVERRIDES[full]
        return f"{SURFACE.get(self.schema, self.schema)}.{self.name}"


def published_docs() -> list[TableDoc]:
    """The tables an analyst sees in plant.duckdb (not raw, not the core contract tables,
    which ``twin contracts`` documents), in declaration order."""
    return [
        TableDoc(
            t.schema,
            t.name,
            t.description,
            [(c.name, c.type, c.meaning) for c in t.columns],
        )
        for t in TABLES
        if t.in_warehouse
        and (
            t.schema in ("history", "quality", "ingest", "scenario")
            or t.full_name in ("core.sensor_hourly", "core.promoted_batches")
        )
    ]


def render_markdown() -> str:
    """The dictionary as markdown: one table per object, column | type | meaning."""
    parts: list[str] = []
    for d in published_docs():
        name = d.surface_name
        if d.schema == "history" and d.name == "snapshots":
            name = "twin.snapshots"
        where = f"history.{d.name}" if d.schema == "history" else ""
        if d.schema == "history" and d.name in NOT_PER_SNAPSHOT:
            name, where = f"history.{d.name}", ""
        head = f"#### `{name}`" + (f" (all snapshots: `{where}`)" if where else "")
        parts.append(head)
        if d.description:
            parts.append(d.description)
        parts.append("")
        parts.append("| column | type | meaning |")
        parts.append("|---|---|---|")
        for col, typ, note in d.columns:
            parts.append(f"| {col} | {typ} | {note.replace('|', '/')} |")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def render_page() -> str:
    """docs/dictionary.md as generated: a short header, then the dictionary between markers."""
    return f"{_HEADER}{START}\n{render_markdown()}{END}\n"


def replace_in(text: str, generated: str) -> str:
    """``text`` with the part between the dictionary markers replaced by ``generated``."""
    if START not in text or END not in text:
        raise ValueError(f"markers {START} / {END} not found")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{generated}{END}{after}"


def write(path: Path = DICTIONARY_PAGE) -> Path:
    """Regenerate the dictionary in ``path``: the part between the markers of a file that
    has them, else the whole page."""
    if path.exists() and START in (old := path.read_text(encoding="utf-8")) and END in old:
        path.write_text(replace_in(old, render_markdown()), encoding="utf-8")
    else:
        path.write_text(render_page(), encoding="utf-8")
    return path
