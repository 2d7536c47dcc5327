-- SPC rule violations on subgroups inspected in the 7 days up to the latest as-of date.
-- Grain: one row per product, characteristic, lot and rule.
with latest as (
    select as_of from twin.snapshots where snapshot_id = twin.current_snapshot()
),

final as (
    select v.product_id, v.characteristic, v.lot_id, v.rule, v.value, v.ts
    from twin.spc_violations as v, latest
    where v.ts > latest.as_of - interval 7 day
)

select * from final
order by ts desc, product_id, characteristic, rule
