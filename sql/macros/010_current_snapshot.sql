-- The snapshot the plain twin.* views show: the latest complete one.
create or replace macro twin.current_snapshot() as (
    select max(snapshot_id) from history.snapshots where status = 'complete'
);
