-- report.instructions of the latest complete snapshot; history.instructions holds every snapshot.
create or replace view report.instructions as
select * from history.instructions where snapshot_id = twin.current_snapshot();
