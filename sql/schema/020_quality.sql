-- Quarantine and validation results. Grain: quality.quarantine one row per quarantined row
-- (or one per whole file, row null); quality.validation_runs one row per expectation per source per batch.
create table if not exists quality.quarantine (
    batch_id varchar not null,
    source varchar not null,
    file varchar not null,
    "row" bigint,                     -- 1-based data row in the file; null when the whole file is quarantined
    stage varchar not null,           -- ingest / validation
    rule varchar not null,            -- e.g. unparseable_file, missing_column, cast_failed, expect_column_values_to_be_between
    reason varchar not null,          -- human-readable: column, value, rule
    raw_values varchar,               -- the row as read (JSON text)
    quarantined_at timestamp not null
);

create table if not exists quality.validation_runs (
    run_id varchar not null,
    batch_id varchar not null,
    source varchar not null,
    expectation varchar not null,     -- expectation type and column(s)
    rule varchar not null,            -- the rule name also used in quality.quarantine
    severity varchar not null,        -- error / warning
    level varchar not null,           -- row / batch
    success boolean not null,
    raised boolean not null,          -- the expectation itself failed to run
    element_count bigint,
    unexpected_count bigint,
    unexpected_percent double,
    details varchar,
    validated_at timestamp not null
);
