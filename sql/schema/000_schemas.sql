-- The warehouse's layers, in the order data moves through them.
create schema if not exists ingest;   -- bookkeeping: files seen, batches
create schema if not exists raw;      -- rows as read, typed, with provenance
create schema if not exists quality;  -- quarantine and validation results
create schema if not exists core;     -- validated rows, one per key
create schema if not exists history;  -- twin tables of every snapshot (keyed by snapshot_id)
create schema if not exists twin;     -- the query surface: views of the latest snapshot
create schema if not exists report;   -- nightly instructions
create schema if not exists scenario; -- what-if results keyed by scenario_id
