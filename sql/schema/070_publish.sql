-- Publishing support. Grain: core.sensor_hourly one row per sensor per UTC hour (aggregates of
-- core.sensor_readings, published instead of the raw readings); meta.sensor_hourly_batches one
-- row per batch already folded into it.
create table if not exists core.sensor_hourly (
    sensor_id varchar not null,
    hour timestamp not null,          -- start of the UTC hour
    n bigint not null,                -- readings in the hour
    mean double,
    min double,
    max double,
    sd double,
    bad_n bigint                      -- readings flagged quality = 'bad'
);

create table if not exists meta.sensor_hourly_batches (
    batch_id varchar primary key,
    aggregated_at timestamp not null
);
