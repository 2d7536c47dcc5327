-- twin.material_status of the latest complete snapshot; history.material_status holds every snapshot.
create or replace view twin.material_status as
select * from history.material_status where snapshot_id = twin.current_snapshot();
