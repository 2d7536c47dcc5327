-- A cleared finding that comes back is alerted again (issue 27; twin_core/watch/cycle.py).
-- finding_key is the finding's identity (kind:entities:rule, what alert_key was); alert_key is
-- the finding_key for its first alert and finding_key#<generation> for each alert after the
-- nightly cleared the previous one and newer data shows the finding again.
alter table history.quality_alerts add column if not exists finding_key varchar;  -- the finding's identity: kind:entities:rule (alert_key without its #generation)
alter table history.quality_alerts add column if not exists generation integer;   -- 1 for a finding's first alert; n + 1 when it recurs after the nightly cleared alert n
alter table history.quality_alerts add column if not exists follows varchar;       -- the cleared alert_key this alert follows (null on a first alert)
update history.quality_alerts set finding_key = alert_key, generation = 1 where finding_key is null;
