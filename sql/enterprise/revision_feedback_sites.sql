-- One product revision's customer feedback at every site that builds it. Grain: one row per
-- (product, revision); per_site lists each site's complaints, units and rate per 1,000 units.
create or replace view twin.revision_feedback_sites as
select
    product_id,
    revision,
    count(distinct site_id) as sites,
    sum(complaints) as complaints,
    sum(units_shipped) as units_shipped,
    1000.0 * sum(complaints) / nullif(sum(units_shipped), 0) as rate_per_1000_units,
    bool_or(flagged) as flagged_at_any_site,
    list(
        {'site_id': site_id, 'complaints': complaints, 'units_shipped': units_shipped,
         'rate_per_1000_units': rate_per_1000_units, 'flagged': flagged}
        order by site_id
    ) as per_site
from twin.revision_flags
group by product_id, revision
order by product_id, revision;
