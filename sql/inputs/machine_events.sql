-- Machine state events overlapping [$start, $end) (naive UTC), for OEE, reliability and the
-- planned-stop pattern. Grain: one row per machine event. An event still open at $end (the
-- end of the as-of day) is cut there: a rebuild for an as-of date sees nothing after that day.
select
    machine_id,
    start_ts,
    least(end_ts, $end::timestamp) as end_ts,
    state,
    reason_code,
from core.machine_events
where start_ts < $end::timestamp and end_ts > $start::timestamp
order by machine_id, start_ts
