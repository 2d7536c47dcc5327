-- twin.capability of the latest complete snapshot; history.capability holds every snapshot.
create or replace view twin.capability as
select * from history.capability where snapshot_id = twin.current_snapshot();
