"""Pure simulation core: polars LazyFrames in, LazyFrames out. No I/O here.

Every function takes and returns ``pl.LazyFrame`` (plus plain parameters) so steps
compose with ``.pipe``; loading from and saving to DuckDB happens in
``twin_core.rebuild``. A nested ruff config bans duckdb, prefect and
great_expectations imports in this package.
"""
