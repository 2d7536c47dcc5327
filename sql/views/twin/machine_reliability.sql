-- twin.machine_reliability of the latest complete snapshot; history.machine_reliability holds every snapshot.
create or replace view twin.machine_reliability as
select * from history.machine_reliability where snapshot_id = twin.current_snapshot();
