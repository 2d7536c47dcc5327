-- Health score of every machine across all snapshots (time travel through history.*),
-- to see which machines degrade. Grain: one row per machine per snapshot.
select
    s.as_of,
    h.snapshot_id,
    h.machine_id,
    round(h.health_score, 3) as health_score,
    h.anomalies,
    h.predicted_limit_date
from history.machine_health as h
inner join history.snapshots as s using (snapshot_id)
where s.status = 'complete'
order by h.machine_id, s.as_of
