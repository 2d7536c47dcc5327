-- Outcome of validating one source of one batch (twin_core.validation): one row per source per
-- validation run.
-- rows = quarantined + promoted + superseded.
create table if not exists quality.validation_sources (
    run_id varchar not null,
    batch_id varchar not null,
    source varchar not null,
    status varchar not null,          -- passed / passed_with_quarantine / failed
    rows bigint not null,             -- raw rows of the source in the batch
    quarantined bigint not null,      -- rows sent to quality.quarantine (error-severity row rules)
    promoted bigint not null,         -- rows written to core (new keys or replacing earlier rows)
    superseded bigint not null,       -- valid rows not written: a later row with the same key exists
    warnings varchar,                 -- rules that failed with severity warning
    errors varchar,                   -- rules that failed with severity error
    data_docs varchar,                -- Great Expectations Data Docs index of the run
    validated_at timestamp not null
);

-- Scratch: the ids a validation run accepts as references (core master data plus the batch's
-- passing master rows); Great Expectations reads them. One row per run per reference per id;
-- emptied when the run ends.
create table if not exists meta.validation_refs (
    run_id varchar not null,
    ref varchar not null,             -- <source>.<column>, e.g. sensors.sensor_id
    id varchar not null
);
