-- What data each snapshot stands on (issue 18; twin_core/twin/coverage.py). Grain: one row per
-- snapshot, site, line (null: the whole site, or a source with no site), source and plant day
-- that the snapshot's builders read: the as-of day, and the days of the windows that health
-- (sensor readings), OEE, reliability and the forecasts (events, production) look back over.
create table if not exists history.data_coverage (
    snapshot_id bigint not null,
    site_id varchar,                  -- null: a source the contract gives no site (demand, POs, ...)
    line_id varchar,                  -- null: the whole site
    source varchar not null,          -- the contract source (sensor_readings, machine_events, ...)
    day date not null,                -- plant day
    required boolean not null,        -- [coverage.<source>] required
    "rows" bigint not null,           -- rows of the source found for the day
    expected_rows double,             -- readings expected: each sensor's observed sample period over the day (sensor_readings only)
    covered double,                   -- what was found, in unit (readings; machine-seconds covered by events; machine-seconds running with production recorded)
    expected double,                  -- what the master data and the data itself lead to expect, in unit (null: nothing to expect)
    unit varchar,                     -- readings / machine-seconds / running machine-seconds / rows
    newest_ts timestamp,              -- newest timestamp of the source up to the end of the day (naive UTC)
    completeness double,              -- covered / expected (null when nothing is expected)
    status varchar not null,          -- ok / partial / missing / stale
    reason varchar                    -- why the status is not ok, in words
);

-- A snapshot built on missing, stale or partial required input says so.
alter table history.snapshots add column if not exists degraded boolean default false;
alter table history.snapshots add column if not exists degraded_reasons varchar;

-- Rows computed from partial input carry the status of the coverage they stand on (worst of
-- their sources' rows for their line and day): ok / partial / stale / missing.
alter table history.machine_day add column if not exists coverage varchar;
alter table history.machine_health add column if not exists coverage varchar;
alter table history.sensor_status add column if not exists coverage varchar;
alter table history.sensor_health add column if not exists coverage varchar;
alter table history.line_forecast add column if not exists coverage varchar;
alter table history.machine_reliability add column if not exists coverage varchar;
