-- twin.inventory_projection of the latest complete snapshot; history.inventory_projection holds every snapshot.
create or replace view twin.inventory_projection as
select * from history.inventory_projection where snapshot_id = twin.current_snapshot();
