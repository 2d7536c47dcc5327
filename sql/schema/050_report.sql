-- Nightly instructions. Grain: one row per instruction per snapshot; report.instructions shows the latest.
-- Written by twin_core.report.build_reports, which replaces a snapshot's rows (idempotent).
create table if not exists history.instructions (
    snapshot_id bigint not null,
    rank integer not null,            -- reading order within the snapshot (department, priority, urgency)
    department varchar not null,      -- production / maintenance / procurement / quality / engineering
    priority integer not null,        -- 1 = most urgent
    action varchar not null,          -- an imperative sentence
    reason varchar not null,          -- the numbers behind it, naming the twin table they come from
    due_date date,
    entity_type varchar,              -- line / machine / sensor / material / purchase_order / product / lot / revision
    entity_id varchar,
    line_id varchar,                  -- the line this instruction serves (cross-reference across departments)
    source varchar                    -- the tables the numbers come from, comma separated
);
