-- The line that builds each product: one row per product and line (from the product master).
select distinct
    product_id,
    line_id,
from core.products
where line_id is not null
order by product_id, line_id
