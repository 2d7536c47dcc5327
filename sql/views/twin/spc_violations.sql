-- twin.spc_violations of the latest complete snapshot; history.spc_violations holds every snapshot.
create or replace view twin.spc_violations as
select * from history.spc_violations where snapshot_id = twin.current_snapshot();
