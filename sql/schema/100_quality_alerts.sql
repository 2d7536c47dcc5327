-- The hourly quality watch (issue 27). Grain: history.quality_alerts one row per finding (a
-- suspect lot on a control chart, a drifting machine metric, a faulty sensor), alerted once;
-- history.watch_runs one row per watch cycle; history.watch_batches one row per ingest batch
-- a cycle judged (so a batch is judged by exactly one cycle).
create table if not exists history.quality_alerts (
    alert_key varchar primary key,     -- kind:entities:rule, the finding's identity (never alerted twice)
    site_id varchar,
    kind varchar not null,             -- spc (control chart) / drift (pre-emptive) / sensor (sensor fault)
    lot_id varchar,                    -- the suspect lot (spc); the first alarming lot (drift)
    product_id varchar,
    characteristic varchar,            -- inspected characteristic, defect:<code> / defects:all
    machine_id varchar,
    sensor_id varchar,
    rule varchar not null,             -- run rules (WE1, ...), drift:<metric>:<up|down>, or the sensor status
    evidence varchar,
    data_ts timestamp,                 -- when it happened in the data: lot's first measurement, alarm record end, fault start (UTC)
    first_seen timestamp not null,     -- wall clock of the cycle that alerted it (UTC)
    first_cycle bigint not null,       -- history.watch_runs.cycle_id
    data_cut timestamp,                -- the newest data the alerting cycle had (UTC)
    last_seen timestamp,               -- last cycle that saw the finding again
    state varchar not null,            -- open / confirmed (the nightly found it too) / cleared (the nightly did not)
    state_at timestamp,                -- when the nightly set the state
    state_snapshot_id bigint,          -- the snapshot that confirmed or cleared it
    state_reason varchar
);

create table if not exists history.watch_runs (
    cycle_id bigint primary key,
    started_at timestamp not null,
    finished_at timestamp,
    snapshot_id bigint,                -- the snapshot whose limits judged the new data (null: none yet)
    batches varchar,                   -- JSON list of the ingest batches judged
    data_cut timestamp,                -- newest timestamp in the judged data (UTC)
    new_lots bigint,
    new_records bigint,                -- production records
    new_sensor_hours bigint,           -- sensor x hour groups
    findings bigint,                   -- findings this cycle (new or seen before)
    alerts bigint,                     -- new alerts this cycle
    seconds double,
    note varchar
);

create table if not exists history.watch_batches (
    batch_id varchar primary key,
    cycle_id bigint not null
);
