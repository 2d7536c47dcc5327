-- What each machine's lots are inspected for: one row per machine, product and characteristic
-- with inspections from $since up to $end (where tighter inspection can catch a drifting machine).
select
    machine_id,
    product_id,
    characteristic,
    count(distinct lot_id) as lots,
    max(ts) as last_ts,
from core.inspections
where ts >= $since
    and ts < $end
    and machine_id is not null
group by all
order by machine_id, product_id, characteristic
