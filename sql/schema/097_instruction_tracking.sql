-- Instructions ranked by the loss they prevent and tracked from night to night (issue 19;
-- twin_core/report/triage.py). New columns of history.instructions, and every night's state of
-- every instruction key in history.instruction_history.
alter table history.instructions add column if not exists kind varchar;            -- the rule (stable across nights)
alter table history.instructions add column if not exists mode varchar;            -- action / watch (a note, not an action)
alter table history.instructions add column if not exists loss double;             -- the loss the instruction prevents, in loss_unit
alter table history.instructions add column if not exists loss_unit varchar;       -- units short / days out of stock / parts at risk of shipping out of spec / hours of unplanned downtime / ...
alter table history.instructions add column if not exists loss_day date;           -- the plant day the loss falls on (null: beyond the horizon or not quantified)
alter table history.instructions add column if not exists loss_cost double;        -- the loss in money (core.materials.unit_cost), where unit costs exist
alter table history.instructions add column if not exists cause_id varchar;        -- the root cause (machine:L2-M2, line:L3, material:MAT-008, ...); shared across departments
alter table history.instructions add column if not exists instruction_key varchar; -- department|kind|entity|cause: the same finding has the same key every night
alter table history.instructions add column if not exists state varchar;           -- new / open / escalated (priority rose or loss grew > 10%)
alter table history.instructions add column if not exists first_seen date;         -- as-of date of the first night with this key
alter table history.instructions add column if not exists nights_open integer;     -- nights in a row the key has been open, this one included

-- Grain: one row per snapshot and instruction key: the snapshot's instructions (state new / open /
-- escalated) and the previous night's keys that are gone (state resolved: the condition is gone).
create table if not exists history.instruction_history (
    snapshot_id bigint not null,
    as_of date not null,
    instruction_key varchar not null,
    state varchar not null,           -- new / open / escalated / resolved
    department varchar not null,
    kind varchar,
    priority integer,                 -- tonight's priority (resolved: the last one it had)
    loss double,
    loss_unit varchar,
    cause_id varchar,
    entity_type varchar,
    entity_id varchar,
    action varchar,                   -- tonight's action (resolved: the last one it had)
    first_seen date,
    nights_open integer,
    previous_as_of date               -- the as-of day of the night it was compared with (null: none before)
);
