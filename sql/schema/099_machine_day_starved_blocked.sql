-- Starved and blocked hours of each machine (issue 21): the part of idle_s whose machine
-- events carry reason_code 'starved' or 'blocked' (core.machine_events), per plant day and
-- per shift. Rows built before this migration have null here.
alter table history.machine_day add column if not exists starved_s double; -- idle with reason starved
alter table history.machine_day add column if not exists blocked_s double; -- idle with reason blocked
alter table history.machine_shift add column if not exists starved_s double; -- idle with reason starved
alter table history.machine_shift add column if not exists blocked_s double; -- idle with reason blocked
