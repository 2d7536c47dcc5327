-- The hourly quality watch's alerts (history.quality_alerts is not per snapshot: every alert
-- ever raised, with its state), newest first.
create or replace view twin.quality_alerts as
select * from history.quality_alerts order by first_seen desc, alert_key;
