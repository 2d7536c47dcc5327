-- Inventory and supply tables of each snapshot (issue: twin core II).

-- One row per material per forecast day.
create table if not exists history.inventory_projection (
    snapshot_id bigint not null,
    site_id varchar,
    material_id varchar not null,
    day date not null,
    opening_on_hand double,
    requirement double,
    receipts double,
    closing_on_hand double
);

-- One row per material.
create table if not exists history.material_status (
    snapshot_id bigint not null,
    site_id varchar,
    material_id varchar not null,
    supplier_id varchar,
    on_hand double,
    days_of_cover double,             -- null when days_of_cover_unbounded
    days_of_cover_unbounded boolean,  -- no future requirement: cover is unbounded
    stockout_date date,               -- first day closing on-hand < 0, receipts included (null: none)
    safety_stock double,
    reorder_point double,
    order_qty double,
    order_by_date date
);

-- One row per supplier.
create table if not exists history.supplier_performance (
    snapshot_id bigint not null,
    supplier_id varchar not null,
    received_pos bigint,
    on_time_rate double,
    lead_time_mean_days double,
    lead_time_sd_days double,
    late_open_pos bigint,
    risk_score double
);
