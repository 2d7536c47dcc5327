-- Units made per lot: one row per lot with production ending from $since up to $end (good and
-- scrap units of every production record of the lot, its product and when it last ran).
select
    lot_id,
    any_value(product_id) as product_id,
    sum(good_qty) as good_qty,
    sum(good_qty + scrap_qty) as made_qty,
    max(end_ts) as last_end_ts,
    count(distinct cast(end_ts as date)) as days,
from core.production
where end_ts >= $since
    and end_ts < $end
group by lot_id
order by lot_id
