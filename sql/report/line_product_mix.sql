-- What each line builds: one row per line and product with the open work order quantity
-- (planned, released or in progress); the mix weights a line's material needs.
select
    w.line_id,
    w.product_id,
    sum(w.qty) as open_qty,
from core.work_orders as w
where w.status in ('planned', 'released', 'in_progress')
group by all
order by w.line_id, w.product_id
