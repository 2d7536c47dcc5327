-- Sensor features for pre-emptive quality: the mean of each metric per machine per hour over
-- the readings taken while the machine was running (so idle, setup and down periods inside a
-- production window do not look like drift), not marked bad, inside the sensor's physical
-- range, and not from a sensor-hour stuck on one value (a sensor fault, not a drift), up to
-- the end of the as-of day in the plant timezone.
-- Grain: one row per machine, metric and UTC hour.
with

cutoff as (
    select timezone('UTC', timezone($tz, ($as_of::date + 1)::timestamp)) as end_ts
),

readings as (
    select
        s.machine_id,
        s.metric,
        r.sensor_id,
        r.ts,
        r.value,
    from core.sensor_readings as r
    inner join core.sensors as s on s.sensor_id = r.sensor_id
    where
        r.ts < (select end_ts from cutoff)
        and coalesce(r.quality, 'good') <> 'bad'
        and isfinite(r.value)
        and (s.valid_min is null or r.value >= s.valid_min)
        and (s.valid_max is null or r.value <= s.valid_max)
),

states as (
    select machine_id, start_ts, end_ts, state
    from core.machine_events
),

-- The machine state a reading falls in: the latest event that started at or before it.
running as (
    select readings.*
    from readings
    asof inner join states
        on readings.machine_id = states.machine_id and readings.ts >= states.start_ts
    where states.state = 'running' and readings.ts < states.end_ts
),

sensor_hours as (
    select
        machine_id,
        metric,
        sensor_id,
        date_trunc('hour', ts) as hour,
        avg(value) as mean_value,
        count(*) as readings,
        min(value) = max(value) as flat,
    from running
    group by all
),

final as (
    select
        machine_id,
        metric,
        hour,
        sum(mean_value * readings) / sum(readings) as mean_value,
        sum(readings) as readings,
    from sensor_hours
    -- Five or more identical readings in an hour: the sensor is stuck.
    where not (flat and readings >= 5)
    group by all
)

select * from final
order by machine_id, metric, hour
