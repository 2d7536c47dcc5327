-- twin.machine_shift of the latest complete snapshot; history.machine_shift holds every snapshot.
create or replace view twin.machine_shift as
select * from history.machine_shift where snapshot_id = twin.current_snapshot();
