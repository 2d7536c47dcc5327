-- report.instruction_history: every night's state of every instruction key, newest night first
-- (history.instruction_history). "New today" and "resolved since yesterday" of the latest
-- night: where snapshot_id = twin.current_snapshot() and state in ('new', 'resolved').
create or replace view report.instruction_history as
select *
from history.instruction_history
order by as_of desc, department, state, instruction_key
