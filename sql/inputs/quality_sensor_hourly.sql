-- Sensor features for pre-emptive quality: the mean of each metric per machine per hour over
-- the readings taken while the machine was running, leaving out readings marked bad, minutes
-- with a reading outside the sensor's physical range and sensor-hours stuck on one value
-- (sensor faults, not drift), for the UTC hours in [$start, $end) (naive UTC): from
-- meta.sensor_quality_hours (sql/inputs/quality_sensor_hours_step.sql one UTC day at a time,
-- kept current by twin_core/twin/sensor_cache.py). A window of part hours reads
-- quality_sensor_hours_step.sql over the window in place of the table.
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
    q.hour >= date_trunc('hour', $start::timestamp)
    and q.hour < $end::timestamp
    -- Five or more identical readings in an hour: the sensor is stuck.
    and not (q.flat and q.readings >= 5)
group by all
order by s.machine_id, s.metric, q.hour
