-- Twin snapshots. Grain: one row per rebuild. Every history.* table carries snapshot_id;
-- the twin.* views show the latest snapshot whose status is 'complete'.
create sequence if not exists history.snapshot_seq start 1;

create table if not exists history.snapshots (
    snapshot_id bigint primary key,
    as_of date not null,              -- the plant day the snapshot describes (data up to its end)
    created_at timestamp not null,
    status varchar not null,          -- building / complete / failed
    input_batches varchar,            -- JSON list of ingest batch ids whose rows are in core
    code_version varchar not null,
    site_ids varchar,                 -- JSON list of sites included
    params varchar                    -- JSON of the settings that shaped it (horizon, seed, ...)
);
