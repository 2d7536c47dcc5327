"""The data dictionary of the query surface, generated from the schema files.

Each ``create table`` in ``sql/schema`` is preceded by a comment stating its grain, and
each column may carry a trailing ``-- comment`` (unit, meaning). This module reads them,
so the data dictionary page, docs/dictionary.md (between ``<!-- dictionary:start -->`` and
``<!-- dictionary:end -->``), is regenerated with ``twin dictionary --write docs/dictionary.md``
and a test keeps it equal to the schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from twin_core.warehouse import SCHEMA_DIR

START, END = "<!-- dictionary:start -->", "<!-- dictionary:end -->"
_CREATE = re.compile(r"^create table if not exists (\w+)\.(\w+) \($", re.IGNORECASE)
_ALTER = re.compile(
    r"^alter table (\w+)\.(\w+) add column (?:if not exists )?\"?(\w+)\"? (\w+)[^;]*;"
    r"\s*(?:--\s*(.*))?$",
    re.IGNORECASE,
)
_COLUMN = re.compile(
    r'^\s+"?(\w+)"?\s+(\w+)((?:\s+not null)?(?:\s+primary key)?),?\s*(?:--\s*(.*))?$'
)

# How each warehouse table appears to analysts in plant.duckdb.
SURFACE: dict[str, str] = {"history": "twin", "quality": "quality", "ingest": "ingest"}
VIEW_NAME_OVERRIDES = {
    "history.instructions": "report.instructions",
    "history.instruction_history": "report.instruction_history",
}
# History tables that are not per snapshot (the hourly quality watch's): shown under their own
# name; twin.quality_alerts is a view of every alert, not of the latest snapshot.
NOT_PER_SNAPSHOT = frozenset({"quality_alerts", "watch_runs", "watch_batches"})


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


def parse_schema(schema_dir: Path = SCHEMA_DIR) -> list[TableDoc]:
    """Tables with their grain comment and column comments, in schema-file order."""
    docs: list[TableDoc] = []
    for path in sorted(schema_dir.glob("*.sql")):
        comment: list[str] = []
        current: TableDoc | None = None
        for line in path.read_text(encoding="utf-8").splitlines():
            if current is None:
                m = _CREATE.match(line.strip())
                added = _ALTER.match(line.strip())
                if added:
                    # A later migration's column (the table's create is in an earlier file).
                    _add_column(docs, *added.groups())
                    comment = []
                elif m:
                    current = TableDoc(m.group(1), m.group(2), " ".join(comment).strip())
                    comment = []
                elif line.startswith("--"):
                    comment.append(line.lstrip("-").strip())
                elif line.strip():
                    comment = []
                continue
            if line.strip().startswith(")"):
                docs.append(current)
                current = None
                continue
            c = _COLUMN.match(line)
            if c:
                current.columns.append((c.group(1), c.group(2).upper(), (c.group(4) or "").strip()))
    return docs


def _add_column(
    docs: list[TableDoc], schema: str, table: str, col: str, typ: str, note: str | None
) -> None:
    for d in docs:
        if (d.schema, d.name) == (schema, table):
            if all(c[0] != col for c in d.columns):
                d.columns.append((col, typ.upper(), (note or "").strip()))
            return


def published_docs(schema_dir: Path = SCHEMA_DIR) -> list[TableDoc]:
    """The tables an analyst sees in plant.duckdb (not raw, not the core contract tables,
    which ``twin contracts`` documents)."""
    return [
        d
        for d in parse_schema(schema_dir)
        if d.schema in ("history", "quality", "ingest", "scenario")
        or (d.schema, d.name) in (("core", "sensor_hourly"), ("core", "promoted_batches"))
    ]


def render_markdown(schema_dir: Path = SCHEMA_DIR) -> str:
    """The dictionary as markdown: one table per object, column | type | meaning."""
    parts: list[str] = []
    for d in published_docs(schema_dir):
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
            parts.append(f"| {col} | {typ} | {note} |")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def replace_in(text: str, generated: str) -> str:
    """``text`` with the part between the dictionary markers replaced by ``generated``."""
    if START not in text or END not in text:
        raise ValueError(f"markers {START} / {END} not found")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{generated}{END}{after}"
