-- twin.lots_to_hold of the latest complete snapshot; history.lots_to_hold holds every snapshot.
create or replace view twin.lots_to_hold as
select * from history.lots_to_hold where snapshot_id = twin.current_snapshot();
