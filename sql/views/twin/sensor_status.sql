-- twin.sensor_status of the latest complete snapshot; history.sensor_status holds every snapshot.
create or replace view twin.sensor_status as
select * from history.sensor_status where snapshot_id = twin.current_snapshot();
