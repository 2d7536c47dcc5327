-- The lake (twin_core/ingest/lake.py): sensor readings stored once, as write-once Parquet files
-- under TWIN_HOME/lake/<source>/site=<id>/day=<date>/<sha256>.parquet, instead of rows of the
-- warehouse with per-row provenance strings. raw.sensor_readings becomes a view over the lake
-- files recorded here (their provenance is one row per file) and over raw.sensor_readings_rows,
-- the rows an earlier version stored in the warehouse (existing homes keep every one of them).
-- Grain: one row per landing file version whose rows are in the lake.
create table if not exists ingest.lake_files (
    source varchar not null,          -- the contract source (sensor_readings)
    path varchar not null,            -- relative to TWIN_HOME: lake/<source>/site=<id>/day=<date>/<sha256>.parquet
    sha256 varchar not null,          -- of the lake file's bytes (its name)
    how varchar not null,             -- adopted (the landing Parquet file itself) | converted (typed once, with _row and _extra)
    batch_id varchar not null,        -- provenance of every row of the file: _batch_id, _file, _ingested_at
    file varchar not null,
    ingested_at timestamp not null,
    rows bigint not null,             -- rows in the lake file (converted: also the rows that failed a cast, marked in _extra)
    site_id varchar not null,
    day date,                         -- the day of the file's earliest reading
    primary key (source, batch_id, file)
);

alter table raw.sensor_readings rename to sensor_readings_rows;

create view raw.sensor_readings as
select sensor_id, ts, value, quality, _batch_id, _file, _row, _extra, _ingested_at
from raw.sensor_readings_rows;

-- Grain: one row: the TWIN_HOME the lake views' absolute paths were written for (a home that
-- moved gets them rewritten at its next write open).
create table if not exists meta.lake_root (root varchar not null);
