-- Time travel by date: the latest complete snapshot whose as_of is on or before day d.
-- Example: select * from history.machine_day where snapshot_id = twin.snapshot_as_of(date '2026-03-01');
create or replace macro twin.snapshot_as_of(d) as (
    select max(snapshot_id) from history.snapshots
    where status = 'complete' and as_of <= cast(d as date)
);
