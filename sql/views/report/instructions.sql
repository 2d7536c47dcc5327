-- report.instructions of the latest complete snapshot, in reading order (rank); history.instructions
-- holds every snapshot. One row per instruction; line_id ties the departments' items for a line together.
create or replace view report.instructions as
select
    snapshot_id,
    rank,
    department,
    priority,
    action,
    reason,
    due_date,
    entity_type,
    entity_id,
    line_id,
    source,
from history.instructions
where snapshot_id = twin.current_snapshot()
order by rank
