-- Sensor-hour aggregates kept between rebuilds, so each reading is aggregated once (the night
-- it arrives) instead of once per night of every builder lookback (twin_core/twin/sensor_cache.py).
-- Grain: meta.sensor_hours and meta.sensor_quality_hours one row per sensor per UTC hour;
-- meta.sensor_hours_days one row per cached UTC day with the fingerprints of the inputs it
-- was computed from. Derived data: dropping the three only costs a recompute.
create table if not exists meta.sensor_hours (
    day date not null,                -- the UTC day of hour
    sensor_id varchar not null,
    hour timestamp not null,
    n bigint,
    bad_n bigint,
    oor_n bigint,
    running_n bigint,                 -- readings in whole minutes the machine ran (by events)
    first_ts timestamp,
    last_ts timestamp,
    oor_first_ts timestamp,
    oor_min double,
    oor_max double,
    ok_n bigint,
    min_value double,
    max_value double,
    run_n bigint,
    run_mean double,
    run_sd double,
    ok_mean double,                   -- over every usable reading: a machine without events
    ok_sd double                      -- in the lookback counts as running
);

create table if not exists meta.sensor_quality_hours (
    day date not null,
    sensor_id varchar not null,
    hour timestamp not null,
    total double,                     -- sum of usable readings in running minutes
    readings bigint,
    flat boolean                      -- every such reading had one value
);

create table if not exists meta.sensor_hours_days (
    day date primary key,
    readings_fp varchar not null,     -- the day's readings: count, latest _ingested_at
    events_fp varchar not null,       -- machine events overlapping the day
    sensors_fp varchar not null,      -- sensor master data (machine, valid range)
    computed_at timestamp not null
);
