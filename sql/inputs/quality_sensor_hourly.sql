-- Sensor features for pre-emptive quality: the mean of each metric per machine per hour,
-- from readings not marked bad and inside the sensor's physical range, up to the end of the
-- as-of day in the plant timezone. Grain: one row per machine, metric and UTC hour.
with

cutoff as (
    select timezone('UTC', timezone($tz, ($as_of::date + 1)::timestamp)) as end_ts
),

readings as (
    select
        s.machine_id,
        s.metric,
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

final as (
    select
        machine_id,
        metric,
        date_trunc('hour', ts) as hour,
        avg(value) as mean_value,
        count(*) as readings,
    from readings
    group by all
)

select * from final
order by machine_id, metric, hour
