-- Recent customer complaints, returns and warranty claims: one row per feedback received
-- from $since up to $end, most severe and newest first (free text: escape it when shown).
select
    feedback_id,
    received_at,
    product_id,
    revision,
    lot_id,
    category,
    severity,
    text,
from core.customer_feedback
where received_at >= $since
    and received_at < $end
    and category in ('complaint', 'return', 'warranty')
order by severity desc, received_at desc, feedback_id
limit 25
