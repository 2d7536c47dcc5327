-- Hourly aggregates of every sensor's readings in [$start, $end) (naive UTC), so machine health
-- and sensor-fault detection never move the raw readings (86M a day at bench scale) into
-- polars. Grain: one row per sensor per UTC hour with at least one reading.
-- Usable readings are finite, not quality 'bad', and inside the sensor's valid range; readings
-- outside the valid range are counted apart (a sensor fault). Signals differ by machine state,
-- so health statistics (run_*) use only usable readings taken in whole minutes the machine
-- ran (per core.machine_events; a machine with no events in the window counts as running).
-- Aggregates use CASE rather than FILTER: the same result, a quarter less CPU at 86M rows.
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

with_events as (
    select distinct machine_id
    from core.machine_events
    where start_ts < $end::timestamp and end_ts > $start::timestamp
),

sensor_info as (
    select
        s.sensor_id,
        s.machine_id,
        s.valid_min,
        s.valid_max,
        w.machine_id is not null as has_events,
    from core.sensors as s
    left join with_events as w on w.machine_id = s.machine_id
),

readings as (
    select
        r.sensor_id,
        r.ts,
        r.value,
        coalesce(r.quality, 'good') = 'bad' as bad,
        coalesce(
            (i.valid_min is not null and r.value < i.valid_min)
            or (i.valid_max is not null and r.value > i.valid_max),
            false
        ) as out_of_range,
        m.minute is not null or not coalesce(i.has_events, false) as running,
    from core.sensor_readings as r
    left join sensor_info as i on i.sensor_id = r.sensor_id
    left join running_minutes as m
        on m.machine_id = i.machine_id and m.minute = date_trunc('minute', r.ts)
    where r.ts >= $start::timestamp and r.ts < $end::timestamp
),

usable as (
    select
        *,
        not bad and not out_of_range and isfinite(value) as ok,
    from readings
),

final as (
    select
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
    from usable
    group by all
)

select * from final
order by sensor_id, hour
