-- Planned production windows (shifts) overlapping [$start, $end) that started before $end
-- (naive UTC): OEE's planned time per line and the weekly pattern the line forecast repeats.
-- Grain: one row per line and shift start.
select
    line_id,
    start_ts,
    end_ts,
from core.shifts
where start_ts < $end::timestamp and end_ts > $start::timestamp
order by line_id, start_ts
