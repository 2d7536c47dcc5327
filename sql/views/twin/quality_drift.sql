-- twin.quality_drift of the latest complete snapshot; history.quality_drift holds every snapshot.
create or replace view twin.quality_drift as
select * from history.quality_drift where snapshot_id = twin.current_snapshot();
