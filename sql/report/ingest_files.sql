-- Ingest reconciliation by source up to $built: one row per source.
select
    source,
    count(*) as files,
    count(*) filter (where status = 'quarantined') as files_quarantined,
    sum(rows_read) as rows_read,
    sum(rows_loaded) as rows_loaded,
    sum(rows_quarantined) as rows_quarantined,
    max(ingested_at) as last_ingested_at,
from ingest.files
where ingested_at <= $built
group by all
order by source
