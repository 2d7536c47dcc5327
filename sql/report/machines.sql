-- Machine master data: one row per machine, in line order.
select
    machine_id,
    line_id,
    site_id,
    name,
    line_position,
    ideal_cycle_time_s,
from core.machines
order by line_id, line_position, machine_id
