-- Sensor features for pre-emptive quality: the mean of each metric per machine per hour over
-- the readings taken while the machine was running (its state in the middle of each minute:
-- idle, setup and down periods inside a production window are not drift), leaving out
-- readings marked bad, minutes with a reading outside the sensor's physical range and
-- sensor-hours stuck on one value (sensor faults, not drift). From $since (the drift
-- lookback) to the end of the as-of day in the plant timezone.
-- Grain: one row per machine, metric and UTC hour.
with

cutoff as (
    select timezone('UTC', timezone($tz, ($as_of::date + 1)::timestamp)) as end_ts
),

-- Readings to one row per sensor and minute first (60x fewer rows to place in a machine
-- state); the sensors join waits for that, as it costs as much as the aggregation itself.
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
        ts < (select end_ts from cutoff)
        and ts >= $since
        and coalesce(quality, 'good') <> 'bad'
        and isfinite(value)
    group by all
),

-- A minute with a reading outside the sensor's physical range is a sensor fault: left out.
minutes as (
    select
        s.machine_id,
        s.metric,
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
            and end_ts > $since
            and start_ts < (select end_ts from cutoff)
    )
    where minute + interval 30 second >= start_ts and minute + interval 30 second < end_ts
),

running as (
    select minutes.*
    from minutes
    inner join running_minutes
        on minutes.machine_id = running_minutes.machine_id
        and minutes.minute = running_minutes.minute
),

sensor_hours as (
    select
        machine_id,
        metric,
        sensor_id,
        date_trunc('hour', minute) as hour,
        sum(total) as total,
        sum(readings) as readings,
        min(lo) = max(hi) as flat,
    from running
    group by all
),

final as (
    select
        machine_id,
        metric,
        hour,
        sum(total) / sum(readings) as mean_value,
        sum(readings) as readings,
    from sensor_hours
    -- Five or more identical readings in an hour: the sensor is stuck.
    where not (flat and readings >= 5)
    group by all
)

select * from final
order by machine_id, metric, hour
