-- report.instruction_history: every night's state of every instruction key, newest night first
-- (history.instruction_history), from the latest complete snapshot of each plant day (a day
-- rebuilt after a failure supersedes its earlier snapshot). "New today" and "resolved since
-- yesterday" of the latest night: where snapshot_id = twin.current_snapshot() and state in
-- ('new', 'resolved').
create or replace view report.instruction_history as
select h.*
from history.instruction_history as h
join (
    select as_of, max(snapshot_id) as snapshot_id
    from history.snapshots
    where status = 'complete'
    group by as_of
) as latest using (snapshot_id)
order by h.as_of desc, h.department, h.state, h.instruction_key
