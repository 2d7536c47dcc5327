-- twin.feedback_insights of the latest complete snapshot; history.feedback_insights holds every snapshot.
create or replace view twin.feedback_insights as
select * from history.feedback_insights where snapshot_id = twin.current_snapshot();
