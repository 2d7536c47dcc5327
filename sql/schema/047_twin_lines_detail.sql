-- Line forecast detail (issue: twin core I), after 046: whether a machine was down at the
-- as-of cut (the forecast starts it under repair).
alter table history.machine_reliability add column if not exists down_at_cut boolean;
