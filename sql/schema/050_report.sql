-- Nightly instructions. Grain: one row per instruction per snapshot; report.instructions shows the latest.
create table if not exists history.instructions (
    snapshot_id bigint not null,
    department varchar not null,      -- production / maintenance / procurement / quality / engineering
    priority integer not null,        -- 1 = most urgent
    action varchar not null,
    reason varchar not null,
    due_date date,
    entity_type varchar,
    entity_id varchar
);
