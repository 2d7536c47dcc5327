-- Materials to order now or within the week, most urgent first.
-- Grain: one row per material of the latest snapshot that needs an order.
with latest as (
    select as_of from twin.snapshots where snapshot_id = twin.current_snapshot()
),

final as (
    select
        s.material_id,
        s.supplier_id,
        s.on_hand,
        s.days_of_cover,
        s.stockout_date,
        s.reorder_point,
        s.order_qty,
        s.order_by_date
    from twin.material_status as s, latest
    where s.order_by_date is not null
      and s.order_by_date <= latest.as_of + interval 7 day
)

select * from final
order by order_by_date, stockout_date nulls last
