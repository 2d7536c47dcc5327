-- Complaints per product revision with their rate per 1,000 units shipped, worst first.
-- Grain: one row per product and revision.
select
    product_id,
    revision,
    feedback_count as complaints,
    round(rate_per_1000_units, 2) as complaints_per_1000_units,
    lines,
    lots
from twin.feedback_insights
where category = 'complaint'
order by rate_per_1000_units desc nulls last, complaints desc
