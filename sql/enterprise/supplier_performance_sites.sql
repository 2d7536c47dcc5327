-- One supplier across every site it delivers to. Grain: one row per supplier.
-- Received POs add up; the on-time rate and the lead-time mean are weighted by each site's
-- received POs; worst_site is the site with the lowest on-time rate (ties: site id).
create or replace view twin.supplier_performance_sites as
select
    supplier_id,
    count(distinct site_id) as sites,
    list(distinct site_id order by site_id) as site_ids,
    sum(received_pos) as received_pos,
    sum(on_time_rate * received_pos) / nullif(sum(received_pos), 0) as on_time_rate,
    sum(lead_time_mean_days * received_pos) / nullif(sum(received_pos), 0) as lead_time_mean_days,
    sum(open_pos) as open_pos,
    sum(late_open_pos) as late_open_pos,
    max(risk_score) as max_risk_score,
    arg_min(site_id, coalesce(on_time_rate, 2.0)) as worst_site,
    min(on_time_rate) as worst_site_on_time_rate
from twin.supplier_performance
group by supplier_id
order by supplier_id;
