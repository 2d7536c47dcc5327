-- The hourly quality watch's alerts still open when the snapshot was built (the nightly
-- confirmed or cleared those its snapshot covers): one row per alert, oldest first.
select
    alert_key,
    kind,
    site_id,
    lot_id,
    product_id,
    characteristic,
    machine_id,
    sensor_id,
    rule,
    evidence,
    data_ts,
    first_seen,
from history.quality_alerts
where state = 'open'
    and first_seen <= $built
order by first_seen, alert_key
