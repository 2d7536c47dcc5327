-- Sensor readings are promoted in place: core.sensor_readings becomes a view over the raw
-- readings of promoted batches, less the rows core leaves out. A bench day is 86M readings;
-- copying them from raw into core was half of validation's time and a second copy of the
-- largest table (twin_core/validation/promote_in_place.py).
--
-- Grain: core.promoted_batches one row per (source, batch) promoted in place, with the span of
-- the batch's times (what the sensor-hour cache fingerprints a day by); core.sensor_reading_exclusions
-- one row per raw reading of a promoted batch that core leaves out, and the batch whose
-- validation left it out (by_batch).
create table if not exists core.promoted_batches (
    source varchar not null,
    batch_id varchar not null,
    promoted_at timestamp not null,   -- changes whenever the batch is promoted again
    rows bigint not null,             -- rows of the batch core held after its promotion
    ts_min timestamp,                 -- the batch's earliest and latest time (key time column)
    ts_max timestamp,
    primary key (source, batch_id)
);

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
