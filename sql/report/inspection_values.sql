-- Capability histograms: the measurements of each product and characteristic from $since up
-- to $end (finite values only), in time order.
select
    product_id,
    characteristic,
    value,
from core.inspections
where ts >= $since
    and ts < $end
    and value is not null
    and isfinite(value)
order by product_id, characteristic, ts, lot_id, inspection_id
