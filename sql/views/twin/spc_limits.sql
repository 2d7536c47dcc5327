-- twin.spc_limits of the latest complete snapshot; history.spc_limits holds every snapshot.
create or replace view twin.spc_limits as
select * from history.spc_limits where snapshot_id = twin.current_snapshot();
