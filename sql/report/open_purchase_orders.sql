-- Open purchase orders on as_of: one row per PO ordered by then and not yet received.
select
    po_id,
    material_id,
    supplier_id,
    qty,
    order_date,
    promised_date,
from core.purchase_orders
where received_date is null
    and order_date <= $as_of
order by promised_date, po_id
