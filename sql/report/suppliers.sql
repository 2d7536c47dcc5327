-- Supplier master data: one row per supplier.
select
    supplier_id,
    name,
from core.suppliers
order by supplier_id
