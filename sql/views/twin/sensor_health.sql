-- twin.sensor_health of the latest complete snapshot; history.sensor_health holds every snapshot.
create or replace view twin.sensor_health as
select * from history.sensor_health where snapshot_id = twin.current_snapshot();
