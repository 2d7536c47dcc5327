-- twin.machine_day of the latest complete snapshot; history.machine_day holds every snapshot
-- (starved_s / blocked_s since 099: the idle time whose events give that reason code).
create or replace view twin.machine_day as
select * from history.machine_day where snapshot_id = twin.current_snapshot();
