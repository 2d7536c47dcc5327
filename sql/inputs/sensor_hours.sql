-- Hourly aggregates of every sensor's readings in [$start, $end) (naive UTC), so machine health
-- and sensor-fault detection never move the raw readings (86M a day at bench scale) into
-- polars: meta.sensor_hours (sql/inputs/sensor_hours_step.sql one UTC day at a time, kept
-- current by twin_core/twin/sensor_cache.py), judged over the window: a machine with no
-- events in the window counts as running (its usable readings are its run_* readings).
-- A window of part hours reads sensor_hours_step.sql over the window in place of the table.
-- Grain: one row per sensor per UTC hour with at least one reading.
with

with_events as (
    select distinct machine_id
    from core.machine_events
    where start_ts < $end::timestamp and end_ts > $start::timestamp
),

judged as (
    select
        h.*,
        w.machine_id is not null as has_events,
    from meta.sensor_hours as h
    left join core.sensors as s on s.sensor_id = h.sensor_id
    left join with_events as w on w.machine_id = s.machine_id
    where h.hour >= date_trunc('hour', $start::timestamp) and h.hour < $end::timestamp
)

select
    sensor_id,
    hour,
    n,
    bad_n,
    oor_n,
    case when has_events then running_n else n end as running_n,
    first_ts,
    last_ts,
    oor_first_ts,
    oor_min,
    oor_max,
    ok_n,
    min_value,
    max_value,
    case when has_events then run_n else ok_n end as run_n,
    case when has_events then run_mean else ok_mean end as run_mean,
    case when has_events then run_sd else ok_sd end as run_sd,
from judged
order by sensor_id, hour
