-- Ingest bookkeeping. Grain: ingest.batches one row per ingest run; ingest.files one row per
-- version of a landing file (content hash), with its reconciliation: rows_read = rows_loaded + rows_quarantined.
create table if not exists ingest.batches (
    batch_id varchar primary key,
    started_at timestamp not null,
    finished_at timestamp,
    status varchar not null,          -- running / completed / failed
    files_seen integer,
    files_ingested integer,
    files_skipped integer,
    files_quarantined integer,
    rows_read bigint,
    rows_loaded bigint,
    rows_quarantined bigint,
    validated_at timestamp,           -- set when validation promoted the batch to core
    validation_status varchar         -- passed / passed_with_quarantine / failed
);

create table if not exists ingest.files (
    source varchar not null,
    file varchar not null,            -- path relative to landing/
    sha256 varchar not null,
    size_bytes bigint not null,
    batch_id varchar not null,
    ingested_at timestamp not null,
    status varchar not null,          -- loaded / quarantined / skipped (a copy of content already ingested under another name)
    reason varchar,                   -- why a whole file was quarantined
    rows_read bigint not null,
    rows_loaded bigint not null,
    rows_quarantined bigint not null,
    extra_columns varchar,            -- schema drift: columns beyond the contract (kept in raw._extra)
    primary key (source, file, sha256)
);
