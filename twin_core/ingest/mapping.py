"""Column mapping: a user's export column names onto the contract's, without code.

``TWIN_HOME/mappings/<source>.toml``::

    [columns]
    "Machine ID" = "machine_id"
    "Cycle (s)" = "ideal_cycle_time_s"

A file column named on the left is read as the contract column on the right. Columns not
named there match a contract column by name, ignoring case and surrounding spaces. What
matches nothing is an extra column: kept in ``raw.<source>._extra`` and reported as drift.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from twin_core.contracts import Source, get_source
from twin_core.ingest.errors import IngestError
from twin_core.settings import Settings


class MappingError(IngestError):
    """A mapping file the user must fix (names a column the contract does not have, ...)."""


def mappings_dir(settings: Settings) -> Path:
    """Where per-source mapping files live: ``TWIN_HOME/mappings``."""
    return settings.home / "mappings"


@dataclass(frozen=True)
class ColumnMapping:
    """Export column name -> contract column name, for one source."""

    source: str
    columns: dict[str, str] = field(default_factory=dict)
    path: Path | None = None


def load_mapping(settings: Settings, source: str) -> ColumnMapping:
    """The mapping of ``source`` (empty when it has no mapping file), checked against the
    contract so a typo fails loudly before any file is read."""
    contract = get_source(source)
    path = mappings_dir(settings) / f"{source}.toml"
    if not path.is_file():
        return ColumnMapping(source)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(doc) - {"columns"}
    if unknown:
        raise MappingError(f"{path}: unknown section(s) {sorted(unknown)}; only [columns] is read")
    cols = doc.get("columns", {})
    if not isinstance(cols, dict):
        raise MappingError(f'{path}: [columns] must be a table of "export name" = "contract name"')
    mapping: dict[str, str] = {}
    for export_name, target in cols.items():
        if not isinstance(target, str) or target not in contract.column_names:
            raise MappingError(
                f"{path}: {export_name!r} maps to {target!r}, which is not a column of "
                f"{source}; columns: {', '.join(contract.column_names)}"
            )
        mapping[export_name] = target
    targets = list(mapping.values())
    doubled = sorted({t for t in targets if targets.count(t) > 1})
    if doubled:
        raise MappingError(f"{path}: several export columns map to {doubled}")
    return ColumnMapping(source, mapping, path)


@dataclass(frozen=True)
class Resolved:
    """How one file's columns line up with the contract."""

    # contract column -> index of the file column that feeds it
    contract_index: dict[str, int]
    # (file column name, index) of columns beyond the contract, in file order
    extra: tuple[tuple[str, int], ...]
    missing_required: tuple[str, ...]
    missing_optional: tuple[str, ...]
    # contract column -> the file columns that all claim it (a file must not be ambiguous)
    ambiguous: dict[str, tuple[str, ...]]


def resolve(contract: Source, mapping: ColumnMapping, file_columns: Sequence[str]) -> Resolved:
    """Match a file's column names to the contract through the mapping."""
    by_norm = {c.lower(): c for c in contract.column_names}
    claims: dict[str, list[tuple[str, int]]] = {}
    extra: list[tuple[str, int]] = []
    for i, name in enumerate(file_columns):
        target = mapping.columns.get(name) or by_norm.get(name.strip().lower())
        if target is None:
            extra.append((name, i))
        else:
            claims.setdefault(target, []).append((name, i))
    ambiguous = {t: tuple(n for n, _ in c) for t, c in claims.items() if len(c) > 1}
    index = {t: c[0][1] for t, c in claims.items()}
    return Resolved(
        contract_index=index,
        extra=tuple(extra),
        missing_required=tuple(c for c in contract.required_columns if c not in index),
        missing_optional=tuple(
            c.name for c in contract.columns if not c.required and c.name not in index
        ),
        ambiguous=ambiguous,
    )
