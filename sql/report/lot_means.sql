-- Control chart points: one row per product, characteristic and lot inspected before $end,
-- the subgroup mean in time order of the lot's first inspection.
select
    product_id,
    characteristic,
    lot_id,
    min(ts) as ts,
    avg(value) as mean,
    count(*) as n,
from core.inspections
where ts < $end
    and value is not null
    and isfinite(value)
group by all
order by product_id, characteristic, ts, lot_id
