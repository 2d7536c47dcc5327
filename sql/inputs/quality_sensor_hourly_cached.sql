-- sql/inputs/quality_sensor_hourly.sql read from meta.sensor_quality_hours (kept current by
-- twin_core/twin/sensor_cache.py) for the UTC hours in [$start, $end).
-- Grain: one row per machine, metric and UTC hour.
select
    s.machine_id,
    s.metric,
    q.hour,
    sum(q.total) / sum(q.readings) as mean_value,
    sum(q.readings) as readings,
from meta.sensor_quality_hours as q
inner join core.sensors as s on s.sensor_id = q.sensor_id
where
    q.hour >= $start::timestamp
    and q.hour < $end::timestamp
    -- Five or more identical readings in an hour: the sensor is stuck.
    and not (q.flat and q.readings >= 5)
group by all
order by s.machine_id, s.metric, q.hour
