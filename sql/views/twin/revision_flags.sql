-- twin.revision_flags of the latest complete snapshot; history.revision_flags holds every snapshot.
create or replace view twin.revision_flags as
select * from history.revision_flags where snapshot_id = twin.current_snapshot();
