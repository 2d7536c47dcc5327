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
    kind,
    mode,
    loss,
    loss_unit,
    loss_day,
    loss_cost,
    cause_id,
    instruction_key,
    state,
    first_seen,
    nights_open,
from history.instructions
where snapshot_id = twin.current_snapshot()
order by rank
