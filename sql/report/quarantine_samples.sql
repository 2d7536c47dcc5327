-- A few quarantined rows, newest first: one row per quarantined row (raw values are free
-- text from an extract: escape them when shown).
select
    source,
    file,
    "row",
    rule,
    reason,
    raw_values,
from quality.quarantine
where quarantined_at <= $built
order by quarantined_at desc, source, file, "row"
limit 20
