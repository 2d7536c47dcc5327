-- The per-sensor step of sql/inputs/quality_sensor_hourly.sql over [$start, $end) (naive
-- UTC): one UTC day of it fills meta.sensor_quality_hours (twin_core/twin/sensor_cache.py),
-- and a window the cache cannot serve runs it whole, in place of the table.
-- Usable readings (not bad, finite) in minutes with no reading outside the sensor's physical
-- range (a sensor fault, not drift) whose middle falls in a running event (idle, setup and
-- down periods inside a production window are not drift), summed per sensor and hour, and
-- whether they all had one value.
-- Grain: one row per sensor per UTC hour with such readings.
with

sensor_minutes as (
    select
        sensor_id,
        date_trunc('minute', ts) as minute,
        sum(value) as total,
        count(*) as readings,
        min(value) as lo,
        max(value) as hi,
    from core.sensor_readings
    where
        ts >= $start::timestamp
        and ts < $end::timestamp
        and coalesce(quality, 'good') <> 'bad'
        and isfinite(value)
    group by all
),

-- The sensors join waits for the readings to be one row per sensor and minute (60x fewer rows
-- to place in a machine state), as it costs as much as the aggregation itself.
minutes as (
    select
        s.machine_id,
        m.sensor_id,
        m.minute,
        m.total,
        m.readings,
        m.lo,
        m.hi,
    from sensor_minutes as m
    inner join core.sensors as s on s.sensor_id = m.sensor_id
    where
        (s.valid_min is null or m.lo >= s.valid_min)
        and (s.valid_max is null or m.hi <= s.valid_max)
),

-- The minutes each machine ran: those whose middle falls in a running event. An equi-join on
-- (machine, minute) then places readings in states; an ASOF join was planned as a nested loop.
running_minutes as (
    select distinct machine_id, minute
    from (
        select
            machine_id,
            start_ts,
            end_ts,
            unnest(
                generate_series(
                    date_trunc('minute', start_ts - interval 30 second), end_ts, interval 1 minute
                )
            ) as minute,
        from core.machine_events
        where
            state = 'running'
            and end_ts > $start::timestamp
            and start_ts < $end::timestamp
    )
    where minute + interval 30 second >= start_ts and minute + interval 30 second < end_ts
)

select
    $day::date as day,
    minutes.sensor_id,
    date_trunc('hour', minutes.minute) as hour,
    sum(minutes.total) as total,
    sum(minutes.readings) as readings,
    min(minutes.lo) = max(minutes.hi) as flat,
from minutes
inner join running_minutes
    on minutes.machine_id = running_minutes.machine_id
    and minutes.minute = running_minutes.minute
group by all
