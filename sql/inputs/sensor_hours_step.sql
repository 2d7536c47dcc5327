-- The per-sensor, per-hour step of sql/inputs/sensor_hours.sql over [$start, $end) (naive UTC):
-- one UTC day of it fills meta.sensor_hours (twin_core/twin/sensor_cache.py), and a window the
-- cache cannot serve runs it whole, in place of the table.
-- Usable readings are finite, not quality 'bad', and inside the sensor's valid range; readings
-- outside the valid range are counted apart (a sensor fault). Signals differ by machine state,
-- so health statistics (run_*) use only usable readings taken in whole minutes the machine ran
-- (per core.machine_events); ok_mean / ok_sd (every usable reading) stand in for run_* where
-- the machine has no events in the whole window read (the reader decides).
-- Aggregates use CASE rather than FILTER: the same result, a quarter less CPU at 86M rows.
-- Grain: one row per sensor per UTC hour with at least one reading in [$start, $end).
with

running as (
    select
        machine_id,
        greatest(start_ts, $start::timestamp) as s,
        least(end_ts, $end::timestamp) as e,
    from core.machine_events
    where state = 'running' and start_ts < $end::timestamp and end_ts > $start::timestamp
),

running_minutes as (
    select distinct
        machine_id,
        unnest(
            generate_series(
                date_trunc('minute', s - interval 1 microsecond) + interval 1 minute,
                e - interval 1 minute,
                interval 1 minute
            )
        ) as minute,
    from running
),

readings as (
    select
        r.sensor_id,
        r.ts,
        r.value,
        coalesce(r.quality, 'good') = 'bad' as bad,
        coalesce(
            (s.valid_min is not null and r.value < s.valid_min)
            or (s.valid_max is not null and r.value > s.valid_max),
            false
        ) as out_of_range,
        m.minute is not null as running,
    from core.sensor_readings as r
    left join core.sensors as s on s.sensor_id = r.sensor_id
    left join running_minutes as m
        on m.machine_id = s.machine_id and m.minute = date_trunc('minute', r.ts)
    where r.ts >= $start::timestamp and r.ts < $end::timestamp
),

usable as (
    select
        *,
        not bad and not out_of_range and isfinite(value) as ok,
    from readings
)

select
    $day::date as day,
    sensor_id,
    date_trunc('hour', ts) as hour,
    count(*) as n,
    sum(bad::int) as bad_n,
    sum(out_of_range::int) as oor_n,
    sum(running::int) as running_n,
    min(ts) as first_ts,
    max(ts) as last_ts,
    min(case when out_of_range then ts end) as oor_first_ts,
    min(case when out_of_range then value end) as oor_min,
    max(case when out_of_range then value end) as oor_max,
    sum(ok::int) as ok_n,
    min(case when ok then value end) as min_value,
    max(case when ok then value end) as max_value,
    sum((ok and running)::int) as run_n,
    avg(case when ok and running then value end) as run_mean,
    stddev_samp(case when ok and running then value end) as run_sd,
    avg(case when ok then value end) as ok_mean,
    stddev_samp(case when ok then value end) as ok_sd,
from usable
group by all
