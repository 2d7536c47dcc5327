-- twin.line_forecast of the latest complete snapshot; history.line_forecast holds every snapshot.
create or replace view twin.line_forecast as
select * from history.line_forecast where snapshot_id = twin.current_snapshot();
