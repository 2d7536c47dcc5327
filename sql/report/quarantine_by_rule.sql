-- Quarantined rows by source, stage and rule, up to $end: one row per combination.
select
    source,
    stage,
    rule,
    count(*) as rows_quarantined,
    count(distinct file) as files,
    min(reason) as example_reason,
from quality.quarantine
where quarantined_at < $end
group by all
order by rows_quarantined desc, source, rule
