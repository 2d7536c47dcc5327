-- Inventory and supply tables of each snapshot (issue: twin core II).

-- One row per site, material and day of the horizon (as_of + 1 .. as_of + horizon_days): projected on-hand with open PO receipts.
create table if not exists history.inventory_projection (
    snapshot_id bigint not null,
    site_id varchar,
    material_id varchar not null,
    day date not null,
    opening_on_hand double,           -- the previous day's closing; the first day opens with on_hand
    past_due_requirement double,      -- open work orders due on or before as_of, owed on the first day
    requirement double,               -- sum over open work orders due that day of qty x qty_per
    receipts double,                  -- open PO qty (qty - received_qty) due that day; past promises on the first day
    closing_on_hand double            -- opening - past_due_requirement - requirement + receipts; below 0 is a shortage
);

-- One row per site and material: cover, stockout, safety stock, reorder point and what to order by when.
create table if not exists history.material_status (
    snapshot_id bigint not null,
    site_id varchar,
    material_id varchar not null,
    supplier_id varchar,
    on_hand double,                   -- latest inventory on or before as_of (0 when none)
    on_hand_as_of date,               -- the inventory day on_hand comes from (stale when before as_of)
    days_of_cover double,             -- time-phased, fractional, on-hand only; null when days_of_cover_unbounded
    days_of_cover_unbounded boolean,  -- no known requirement exhausts the stock
    stockout_date date,               -- first horizon day closing on-hand < 0, receipts included (null: none)
    past_due_requirement double,      -- requirement of open work orders already past due
    demand_mean_daily double,         -- mean daily requirement over the horizon
    demand_sd_daily double,           -- sample sd of the daily requirement over the horizon
    lead_time_days double,            -- L: master lead time + the supplier's mean deviation from plan when measured (plus scenario delay)
    lead_time_sd_days double,         -- sd_L: sample sd of the supplier's deviations from plan, 0 with master data
    lead_time_source varchar,         -- measured / master
    service_level double,             -- the material's, else the default; z uses it clipped to 0.5..0.9999
    z double,                         -- standard normal quantile of the service level
    safety_stock double,              -- z x sqrt(L x sd_d^2 + mean_d^2 x sd_L^2)
    reorder_point double,             -- mean_d x L + safety_stock
    below_safety_stock_date date,     -- first day (horizon + ceil(L)) projected on-hand < safety_stock
    order_qty double,                 -- max(EOQ, min_order_qty, shortfall), whole units (README)
    order_policy varchar,             -- the term that set order_qty: eoq / cover_days / min_order_qty / shortfall / no_demand
    order_by_date date                -- below_safety_stock_date - ceil(L); null when no order is needed
);

-- One row per supplier: delivery record, open orders and a risk score in 0..1 (README).
create table if not exists history.supplier_performance (
    snapshot_id bigint not null,
    supplier_id varchar not null,
    received_pos bigint,              -- POs received on or before as_of
    on_time_rate double,              -- share received on or before promised_date (null: none received)
    lead_time_mean_days double,       -- mean of received_date - order_date
    lead_time_sd_days double,         -- sample sd of the lead time (null below two POs)
    lead_time_deviation_mean_days double, -- mean of lead time - the material's planned lead_time_days
    lead_time_deviation_sd_days double,   -- sample sd of that deviation: the spread safety stock sees
    open_pos bigint,                  -- POs ordered by as_of and not received by its end
    late_open_pos bigint,             -- open POs whose promised_date is on or before as_of
    sole_source_materials bigint,     -- materials no other supplier delivers
    risk_late double,                 -- (late received + 1) / (received + 2)
    risk_open_late double,            -- late_open_pos / open_pos
    risk_variability double,          -- lead_time_deviation_sd_days / lead_time_mean_days, capped at 1
    risk_dependency double,           -- 1 - exp(-sum of min(1, L / days_of_cover)) over sole-sourced materials
    risk_score double                 -- weighted sum of the four parts (0.4, 0.2, 0.15, 0.25)
);

-- One row per product and horizon day with demand due: customer demand the open work orders do not cover.
create table if not exists history.uncovered_demand (
    snapshot_id bigint not null,
    site_id varchar,                  -- site of the product's line (null when its lines span sites)
    product_id varchar not null,
    day date not null,
    demand_qty double,                -- customer demand due that day
    planned_qty double,               -- open work-order qty due that day (past-due orders on the first day)
    cum_demand_qty double,            -- demand due from the first horizon day to this day
    cum_planned_qty double,           -- open work-order qty due by this day
    uncovered_qty double              -- max(0, cum_demand_qty - cum_planned_qty)
);
