-- Control chart points: one row per product, characteristic and lot inspected before $end,
-- the subgroup mean in time order of the lot's first inspection, with the subgroup's range
-- and standard deviation for the R / S panel (null sd for a subgroup of one).
select
    product_id,
    characteristic,
    lot_id,
    min(ts) as ts,
    avg(value) as mean,
    count(*) as n,
    max(value) - min(value) as range,
    stddev_samp(value) as sd,
from core.inspections
where ts < $end
    and value is not null
    and isfinite(value)
group by all
order by product_id, characteristic, ts, lot_id
