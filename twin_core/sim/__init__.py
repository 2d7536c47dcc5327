"""Pure simulation core: polars LazyFrames in, LazyFrames out. No I/O here.

Grouped by domain: ``machines`` (sensors, health, OEE, reliability), ``lines`` (plan, engine,
throughput forecast), ``quality`` (control charts, capability, drift, holds, feedback) and
``supply`` (inventory, replenishment, suppliers). What every domain shares sits at the top:
``calendar`` (plant days), ``coverage`` (how much data a day holds) and ``scenario`` (what a
what-if changes against its baseline).

Every function takes and returns ``pl.LazyFrame`` (plus plain parameters) so steps compose
with ``.pipe``; loading from and saving to DuckDB happens in ``twin_core.rebuild``. A nested
ruff config (``ruff.toml`` here, which the domain packages inherit) bans duckdb, prefect and
great_expectations imports in this package.
"""
