-- Planned stops ahead: one row per planned_stop event of a machine that ends after $start
-- (the start of the day after as_of, UTC). Maintenance slots are taken from these.
select
    e.machine_id,
    m.line_id,
    e.start_ts,
    e.end_ts,
from core.machine_events as e
left join core.machines as m using (machine_id)
where e.state = 'planned_stop'
    and e.end_ts > $start
order by e.start_ts, e.machine_id
