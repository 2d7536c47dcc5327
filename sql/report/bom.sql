-- Bill of materials with material master data: one row per product and material.
select
    b.product_id,
    b.material_id,
    b.qty_per,
    m.name as material_name,
    m.unit,
    m.supplier_id,
    m.unit_cost,
from core.bom as b
left join core.materials as m using (material_id)
order by b.product_id, b.material_id
