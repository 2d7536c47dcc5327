-- twin.uncovered_demand of the latest complete snapshot; history.uncovered_demand holds every snapshot.
create or replace view twin.uncovered_demand as
select * from history.uncovered_demand where snapshot_id = twin.current_snapshot();
