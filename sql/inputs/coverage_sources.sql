-- Coverage of the enterprise and quality sources for the as-of day (twin_core/twin/coverage.py):
-- rows found and the newest time up to the end of the day ($end, naive UTC). Grain: one row per
-- source (per site for inventory, the one such source with a site).
-- Daily sources (inspections, shifts) count the day's rows; sources where a quiet day is normal
-- (defects, feedback, purchase orders) count every row up to the end of the day; work orders and
-- demand count what is still due after the day (what the forecasts plan against).
with

inventory_latest as (
    select site_id, max(as_of) as as_of
    from core.inventory
    where as_of <= $as_of::date
    group by site_id
),

final as (
    select 'inspections' as source, null::varchar as site_id,
        count(*) filter (where ts >= $start::timestamp and ts < $end::timestamp) as "rows",
        max(ts) filter (where ts < $end::timestamp) as newest_ts,
    from core.inspections
    union all
    select 'shifts', null,
        count(*) filter (where start_ts >= $start::timestamp and start_ts < $end::timestamp),
        max(start_ts) filter (where start_ts < $end::timestamp),
    from core.shifts
    union all
    select 'defects', null,
        count(*) filter (where ts < $end::timestamp),
        max(ts) filter (where ts < $end::timestamp),
    from core.defects
    union all
    select 'customer_feedback', null,
        count(*) filter (where received_at < $end::timestamp),
        max(received_at) filter (where received_at < $end::timestamp),
    from core.customer_feedback
    union all
    select 'purchase_orders', null,
        count(*) filter (where order_date <= $as_of::date),
        max(order_date) filter (where order_date <= $as_of::date)::timestamp,
    from core.purchase_orders
    union all
    select 'work_orders', null,
        count(*) filter (where due_date > $as_of::date and status not in ('completed', 'cancelled')),
        null::timestamp,
    from core.work_orders
    union all
    select 'demand', null,
        count(*) filter (where due_date > $as_of::date),
        null::timestamp,
    from core.demand
    union all
    select 'inventory', l.site_id, count(i.site_id), max(l.as_of)::timestamp,
    from inventory_latest as l
    left join core.inventory as i on i.site_id = l.site_id and i.as_of = l.as_of
    group by l.site_id
)

select * from final
order by source, site_id
