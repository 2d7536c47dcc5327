-- Planned production windows (shifts) overlapping [$start, $end) that started before $end
-- (naive UTC): OEE's planned time per line and the weekly pattern the line forecast repeats.
-- Grain: one row per line and shift start.
-- A shift row that plans no time (end_ts not after start_ts) is quarantined by the contract
-- (rule shift_end_after_start) and never reaches core. It still says the line works to a shift
-- calendar, so such rows starting in [$start, $end) come back from the quarantine as they were
-- delivered: the builders count the line as having shifts and plan it no time from them (a line
-- whose every shift row was quarantined is planned 0 h, availability null, not 24 h). A row
-- whose key core now holds (a later, valid correction) is left out.
with

quarantined as (
    select distinct
        raw_values ->> '$.line_id' as line_id,
        (raw_values ->> '$.start_ts')::timestamp as start_ts,
        (raw_values ->> '$.end_ts')::timestamp as end_ts,
    from quality.quarantine
    where source = 'shifts' and stage = 'validation' and rule = 'shift_end_after_start'
),

final as (
    select line_id, start_ts, end_ts,
    from core.shifts
    where start_ts < $end::timestamp and end_ts > $start::timestamp
    union all
    select q.line_id, q.start_ts, q.end_ts,
    from quarantined q
    where q.start_ts >= $start::timestamp and q.start_ts < $end::timestamp
        and not exists (
            select 1 from core.shifts c where c.line_id = q.line_id and c.start_ts = q.start_ts
        )
)

select line_id, start_ts, end_ts,
from final
order by line_id, start_ts, end_ts
