-- Quarantined rows by source, stage and rule, recorded by the time the snapshot was built ($built:
-- bookkeeping times are wall-clock, not plant days): one row per combination.
select
    source,
    stage,
    rule,
    count(*) as rows_quarantined,
    count(distinct file) as files,
    min(reason) as example_reason,
from quality.quarantine
where quarantined_at <= $built
group by all
order by rows_quarantined desc, source, rule
