-- Sensor readings are promoted in place (twin_core/validation/promote_in_place.py): in the
-- warehouse, core.sensor_readings is a view over the raw readings of the promoted batches, less
-- the rows left out (core.sensor_reading_exclusions: quarantined, or superseded by a later row of
-- their key), instead of a second copy of the largest table (copying a bench day of 86M readings
-- was half of validation's time).
-- Grain: one row per source and batch promoted in place; promoting a batch again replaces it.
create table if not exists core.promoted_batches (
    source varchar not null,          -- the contract source (sensor_readings)
    batch_id varchar not null,        -- the ingest batch (ingest.batches)
    promoted_at timestamp not null,   -- when it was (last) promoted
    rows bigint not null,             -- rows of the batch in core right after its promotion
    ts_min timestamp,                 -- the batch's earliest time (finds a day's batches)
    ts_max timestamp,                 -- the batch's latest time
    primary key (source, batch_id)
);

-- Grain: one row per raw reading of a promoted batch that core.sensor_readings leaves out.
create table if not exists core.sensor_reading_exclusions (
    batch_id varchar not null,        -- the raw row: _batch_id, _file, _row
    file varchar not null,
    "row" bigint not null,
    reason varchar not null,          -- quarantined | superseded (a later row of its key won)
    by_batch varchar not null         -- the batch whose validation excluded it
);

-- Existing homes: the batches core.sensor_readings holds rows of, and the rows of those batches
-- it does not hold (quarantined, or replaced by a later row of their key).
insert into core.promoted_batches
select 'sensor_readings', _batch_id, now()::timestamp, count(*), min(ts), max(ts)
from core.sensor_readings
group by _batch_id;

insert into core.sensor_reading_exclusions
select r._batch_id, r._file, r._row,
    case when exists (
        select 1 from quality.quarantine q
        where q.batch_id = r._batch_id and q.source = 'sensor_readings' and q.file = r._file
            and q."row" = r._row
    ) then 'quarantined' else 'superseded' end,
    r._batch_id
from raw.sensor_readings r
where r._batch_id in (select batch_id from core.promoted_batches where source = 'sensor_readings')
    and not exists (
        select 1 from core.sensor_readings c
        where c._batch_id = r._batch_id and c._file = r._file and c._row = r._row
    );

drop table core.sensor_readings;

create view core.sensor_readings as
select r.sensor_id, r.ts, r.value, r.quality, r._batch_id, r._file, r._row, r._ingested_at
from raw.sensor_readings r
where r._batch_id in (
        select batch_id from core.promoted_batches where source = 'sensor_readings'
    )
    and not exists (
        select 1 from core.sensor_reading_exclusions x
        where x.batch_id = r._batch_id and x.file = r._file and x."row" = r._row
    );
