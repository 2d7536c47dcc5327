-- Raw layer: every row ingest read and could type, with provenance; by batch.
-- Generated from twin_core/contracts.py by `twin contracts --ddl raw`; do not edit.
create table if not exists raw.machines (
    machine_id VARCHAR,
    line_id VARCHAR,
    site_id VARCHAR,
    name VARCHAR,
    machine_type VARCHAR,
    line_position BIGINT,
    ideal_cycle_time_s DOUBLE,
    _batch_id VARCHAR not null,
    _file VARCHAR not null,
    _row BIGINT not null,
    _extra VARCHAR,
    _ingested_at TIMESTAMP not null
);

create table if not exists raw.sensors (
    sensor_id VARCHAR,
    machine_id VARCHAR,
    metric VARCHAR,
    unit VARCHAR,
    valid_min DOUBLE,
    valid_max DOUBLE,
    alarm_low DOUBLE,
    alarm_high DOUBLE,
    _batch_id VARCHAR not null,
    _file VARCHAR not null,
    _row BIGINT not null,
    _extra VARCHAR,
    _ingested_at TIMESTAMP not null
);

create table if not exists raw.products (
    product_id VARCHAR,
    name VARCHAR,
    revision VARCHAR,
    line_id VARCHAR,
    _batch_id VARCHAR not null,
    _file VARCHAR not null,
    _row BIGINT not null,
    _extra VARCHAR,
    _ingested_at TIMESTAMP not null
);

create table if not exists raw.bom (
    product_id VARCHAR,
    material_id VARCHAR,
    qty_per DOUBLE,
    _batch_id VARCHAR not null,
    _file VARCHAR not null,
    _row BIGINT not null,
    _extra VARCHAR,
    _ingested_at TIMESTAMP not null
);

create table if not exists raw.materials (
    material_id VARCHAR,
    name VARCHAR,
    unit VARCHAR,
    unit_cost DOUBLE,
    supplier_id VARCHAR,
    lead_time_days DOUBLE,
    min_order_qty DOUBLE,
    service_level DOUBLE,
    _batch_id VARCHAR not null,
    _file VARCHAR not null,
    _row BIGINT not null,
    _extra VARCHAR,
    _ingested_at TIMESTAMP not null
);

create table if not exists raw.suppliers (
    supplier_id VARCHAR,
    name VARCHAR,
    country VARCHAR,
    _batch_id VARCHAR not null,
    _file VARCHAR not null,
    _row BIGINT not null,
    _extra VARCHAR,
    _ingested_at TIMESTAMP not null
);

create table if not exists raw.shifts (
    line_id VARCHAR,
    start_ts TIMESTAMP,
    end_ts TIMESTAMP,
    _batch_id VARCHAR not null,
    _file VARCHAR not null,
    _row BIGINT not null,
    _extra VARCHAR,
    _ingested_at TIMESTAMP not null
);

create table if not exists raw.sensor_readings (
    sensor_id VARCHAR,
    ts TIMESTAMP,
    value DOUBLE,
    quality VARCHAR,
    _batch_id VARCHAR not null,
    _file VARCHAR not null,
    _row BIGINT not null,
    _extra VARCHAR,
    _ingested_at TIMESTAMP not null
);

create table if not exists raw.machine_events (
    machine_id VARCHAR,
    start_ts TIMESTAMP,
    end_ts TIMESTAMP,
    state VARCHAR,
    reason_code VARCHAR,
    _batch_id VARCHAR not null,
    _file VARCHAR not null,
    _row BIGINT not null,
    _extra VARCHAR,
    _ingested_at TIMESTAMP not null
);

create table if not exists raw.production (
    record_id VARCHAR,
    work_order_id VARCHAR,
    machine_id VARCHAR,
    product_id VARCHAR,
    lot_id VARCHAR,
    start_ts TIMESTAMP,
    end_ts TIMESTAMP,
    good_qty BIGINT,
    scrap_qty BIGINT,
    revision VARCHAR,
    _batch_id VARCHAR not null,
    _file VARCHAR not null,
    _row BIGINT not null,
    _extra VARCHAR,
    _ingested_at TIMESTAMP not null
);

create table if not exists raw.work_orders (
    work_order_id VARCHAR,
    product_id VARCHAR,
    line_id VARCHAR,
    qty DOUBLE,
    due_date DATE,
    status VARCHAR,
    _batch_id VARCHAR not null,
    _file VARCHAR not null,
    _row BIGINT not null,
    _extra VARCHAR,
    _ingested_at TIMESTAMP not null
);

create table if not exists raw.demand (
    order_id VARCHAR,
    product_id VARCHAR,
    due_date DATE,
    qty DOUBLE,
    customer_id VARCHAR,
    _batch_id VARCHAR not null,
    _file VARCHAR not null,
    _row BIGINT not null,
    _extra VARCHAR,
    _ingested_at TIMESTAMP not null
);

create table if not exists raw.inventory (
    site_id VARCHAR,
    material_id VARCHAR,
    on_hand DOUBLE,
    as_of DATE,
    _batch_id VARCHAR not null,
    _file VARCHAR not null,
    _row BIGINT not null,
    _extra VARCHAR,
    _ingested_at TIMESTAMP not null
);

create table if not exists raw.purchase_orders (
    po_id VARCHAR,
    material_id VARCHAR,
    supplier_id VARCHAR,
    qty DOUBLE,
    order_date DATE,
    promised_date DATE,
    received_date DATE,
    received_qty DOUBLE,
    _batch_id VARCHAR not null,
    _file VARCHAR not null,
    _row BIGINT not null,
    _extra VARCHAR,
    _ingested_at TIMESTAMP not null
);

create table if not exists raw.inspections (
    inspection_id VARCHAR,
    ts TIMESTAMP,
    lot_id VARCHAR,
    product_id VARCHAR,
    machine_id VARCHAR,
    characteristic VARCHAR,
    value DOUBLE,
    lsl DOUBLE,
    usl DOUBLE,
    target DOUBLE,
    _batch_id VARCHAR not null,
    _file VARCHAR not null,
    _row BIGINT not null,
    _extra VARCHAR,
    _ingested_at TIMESTAMP not null
);

create table if not exists raw.defects (
    lot_id VARCHAR,
    ts TIMESTAMP,
    product_id VARCHAR,
    line_id VARCHAR,
    inspected_qty BIGINT,
    defect_code VARCHAR,
    defect_qty BIGINT,
    _batch_id VARCHAR not null,
    _file VARCHAR not null,
    _row BIGINT not null,
    _extra VARCHAR,
    _ingested_at TIMESTAMP not null
);

create table if not exists raw.customer_feedback (
    feedback_id VARCHAR,
    received_at TIMESTAMP,
    customer_id VARCHAR,
    product_id VARCHAR,
    revision VARCHAR,
    lot_id VARCHAR,
    category VARCHAR,
    severity BIGINT,
    rating BIGINT,
    text VARCHAR,
    _batch_id VARCHAR not null,
    _file VARCHAR not null,
    _row BIGINT not null,
    _extra VARCHAR,
    _ingested_at TIMESTAMP not null
);
