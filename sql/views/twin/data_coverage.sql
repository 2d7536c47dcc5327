-- twin.data_coverage of the latest complete snapshot; history.data_coverage holds every snapshot.
create or replace view twin.data_coverage as
select * from history.data_coverage where snapshot_id = twin.current_snapshot();
