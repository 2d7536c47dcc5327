-- twin.machine_health of the latest complete snapshot; history.machine_health holds every snapshot.
create or replace view twin.machine_health as
select * from history.machine_health where snapshot_id = twin.current_snapshot();
