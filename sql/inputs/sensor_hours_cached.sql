-- sql/inputs/sensor_hours.sql read from meta.sensor_hours (kept current by
-- twin_core/twin/sensor_cache.py) for the UTC hours in [$start, $end): a machine with no
-- events in the window counts as running (its usable readings are its run_* readings).
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
    where h.hour >= $start::timestamp and h.hour < $end::timestamp
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
