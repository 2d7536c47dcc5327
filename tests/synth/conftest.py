"""One synthetic plant per test session (6 days, demo scale) and readers for its files."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from twin_core.contracts import SOURCES, get_source
from twin_core.synth import GroundTruth, generate

# Override to check other plants: SYNTH_TEST_DAYS=14 SYNTH_TEST_SEED=3 pytest tests/synth
DAYS = int(os.environ.get("SYNTH_TEST_DAYS", "6"))
SEED = int(os.environ.get("SYNTH_TEST_SEED", "11"))
START = date(2026, 3, 2)
TS_FORMAT = "%Y-%m-%dT%H:%M:%S"


def read_raw(path: Path) -> pl.DataFrame:
    """A file as written, every column as text for CSV/JSON Lines (typed for Parquet)."""
    if path.suffix == ".csv":
        return pl.read_csv(path, infer_schema=False)
    if path.suffix == ".jsonl":
        df = pl.read_ndjson(path)
        return df.with_columns(pl.all().cast(pl.String))
    return pl.read_parquet(path)


def typed(df: pl.DataFrame, source: str) -> pl.DataFrame:
    """Cast to the contract types (unparseable values become null)."""
    out = []
    for c in get_source(source).columns:
        col = pl.col(c.name)
        if df.schema[c.name] != pl.String:
            target = {"DOUBLE": pl.Float64, "BIGINT": pl.Int64, "VARCHAR": pl.String}.get(c.type)
            out.append(col.cast(target) if target else col)
        elif c.type == "DOUBLE":
            out.append(col.cast(pl.Float64, strict=False))
        elif c.type == "BIGINT":
            out.append(col.cast(pl.Int64, strict=False))
        elif c.type == "TIMESTAMP":
            out.append(col.str.to_datetime(TS_FORMAT, strict=False, time_unit="us"))
        elif c.type == "DATE":
            out.append(col.str.to_date("%Y-%m-%d", strict=False))
        else:
            out.append(col)
    return df.with_columns(out)


@dataclass
class Plant:
    """The generated folder, its ground truth and cached, typed sources."""

    out: Path
    truth: GroundTruth
    _cache: dict[str, pl.DataFrame] = field(default_factory=dict)

    @property
    def malformed(self) -> set[str]:
        return {f.entities["file"] for f in self.truth.of_kind("malformed_file")}

    def files(self, source: str) -> list[Path]:
        return sorted((self.out / "landing" / source).glob("*"))

    def rel(self, path: Path) -> str:
        return path.relative_to(self.out).as_posix()

    def raw(self, source: str) -> pl.DataFrame:
        """All readable files of a source, as text, with ``_file`` and 1-based ``_row``."""
        parts = []
        for p in self.files(source):
            if self.rel(p) in self.malformed:
                continue
            df = read_raw(p)
            if df.schema.get("ts") == pl.Datetime("us") or any(
                isinstance(t, pl.Datetime | pl.Date) for t in df.schema.values()
            ):
                df = df.with_columns(
                    [
                        pl.col(n).dt.strftime(TS_FORMAT)
                        for n, t in df.schema.items()
                        if isinstance(t, pl.Datetime)
                    ]
                    + [
                        pl.col(n).dt.strftime("%Y-%m-%d")
                        for n, t in df.schema.items()
                        if isinstance(t, pl.Date)
                    ]
                )
            df = df.with_columns(pl.all().cast(pl.String))
            parts.append(
                df.with_columns(_file=pl.lit(self.rel(p)), _row=pl.int_range(1, pl.len() + 1))
            )
        return pl.concat(parts, how="diagonal")

    def get(self, source: str) -> pl.DataFrame:
        """Every readable row, typed, with ``_file`` and ``_row`` (dirt included)."""
        if source not in self._cache:
            self._cache[source] = typed(self.raw(source), source)
        return self._cache[source]

    def dirt_rows(self, source: str, kind: str | None = None) -> pl.DataFrame:
        """(_file, _row) of the rows the ground truth labels, for one source."""
        rows: list[dict[str, Any]] = []
        for f in self.truth.faults:
            if (
                f.entities.get("source") != source
                or (kind and f.kind != kind)
                or "rows" not in f.details
            ):
                continue
            rows += [
                {"_file": r["file"], "_row": r["row"], "kind": f.kind, "violation": r["violation"]}
                for r in f.details["rows"]
            ]
        return pl.DataFrame(
            rows,
            schema={
                "_file": pl.String,
                "_row": pl.Int64,
                "kind": pl.String,
                "violation": pl.String,
            },
        )

    def clean(self, source: str) -> pl.DataFrame:
        """Rows as a consumer should end up with them: labelled duplicates and invalid rows
        dropped, late corrections applied (the later row wins)."""
        df = self.get(source)
        drop = self.dirt_rows(source).filter(
            pl.col("kind").is_in(["duplicate_rows", "invalid_values"])
        )
        df = df.join(drop.select("_file", "_row"), on=["_file", "_row"], how="anti")
        key = list(SOURCES[source].key)
        return df.sort("_file", "_row").unique(subset=key, keep="last", maintain_order=True)


@pytest.fixture(scope="session")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Plant:
    """A 6-day demo plant generated once for the session."""
    out = tmp_path_factory.mktemp("synth") / "plant"
    truth = generate(out, DAYS, START, SEED)
    return Plant(out=out, truth=truth)
