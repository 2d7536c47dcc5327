-- Every snapshot, newest first. Grain: one row per rebuild.
create or replace view twin.snapshots as
select * from history.snapshots order by snapshot_id desc;
