-- OEE by site and day over the site's machines. Grain: one row per (site, day).
-- Availability = running / planned busy time; performance and quality from output; OEE is
-- their product, all time-weighted over the site's machines (a machine-day without planned
-- time does not count).
create or replace view twin.oee_by_site as
select
    site_id,
    day,
    count(distinct machine_id) as machines,
    count(distinct line_id) as lines,
    sum(running_s) / nullif(sum(planned_busy_s), 0) as availability,
    sum(performance * running_s) / nullif(sum(running_s), 0) as performance,
    sum(good_qty) / nullif(sum(good_qty + scrap_qty), 0) as quality,
    (sum(running_s) / nullif(sum(planned_busy_s), 0))
        * (sum(performance * running_s) / nullif(sum(running_s), 0))
        * (sum(good_qty) / nullif(sum(good_qty + scrap_qty), 0)) as oee,
    avg(oee) as mean_machine_oee,
    sum(good_qty) as good_qty,
    sum(scrap_qty) as scrap_qty
from twin.machine_day
where planned_busy_s > 0
group by site_id, day
order by site_id, day;
