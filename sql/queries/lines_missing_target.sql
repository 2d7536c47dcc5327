-- Lines whose median forecast output falls short of the required quantity in the horizon.
-- Grain: one row per line and day with a gap.
select
    line_id,
    day,
    required_qty,
    round(p50_qty) as p50_qty,
    round(p10_qty) as p10_qty,
    round(required_qty - p50_qty) as gap_qty,
    bottleneck_machine_id
from twin.line_forecast
where required_qty > p50_qty
order by day, gap_qty desc
