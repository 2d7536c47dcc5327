-- Core rows keep the ingest time of the raw row they came from (twin_core.validation), so a late
-- correction replaces a core row only when it is later by (_ingested_at, _file, _row), whatever
-- order batches are validated in. After 035, which creates the core tables.
alter table core.machines add column if not exists _ingested_at timestamp;
alter table core.sensors add column if not exists _ingested_at timestamp;
alter table core.products add column if not exists _ingested_at timestamp;
alter table core.bom add column if not exists _ingested_at timestamp;
alter table core.materials add column if not exists _ingested_at timestamp;
alter table core.suppliers add column if not exists _ingested_at timestamp;
alter table core.shifts add column if not exists _ingested_at timestamp;
alter table core.sensor_readings add column if not exists _ingested_at timestamp;
alter table core.machine_events add column if not exists _ingested_at timestamp;
alter table core.production add column if not exists _ingested_at timestamp;
alter table core.work_orders add column if not exists _ingested_at timestamp;
alter table core.demand add column if not exists _ingested_at timestamp;
alter table core.inventory add column if not exists _ingested_at timestamp;
alter table core.purchase_orders add column if not exists _ingested_at timestamp;
alter table core.inspections add column if not exists _ingested_at timestamp;
alter table core.defects add column if not exists _ingested_at timestamp;
alter table core.customer_feedback add column if not exists _ingested_at timestamp;
