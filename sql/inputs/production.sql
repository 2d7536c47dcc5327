-- Production records that ended in [$start, $end) (naive UTC), for OEE and the line
-- simulation's measured performance and yield. Grain: one row per production record.
select
    machine_id,
    product_id,
    start_ts,
    end_ts,
    good_qty,
    scrap_qty,
from core.production
where end_ts >= $start::timestamp and end_ts < $end::timestamp
order by machine_id, end_ts, record_id
