-- What-if scenarios. Grain: one row per scenario. scenario_id is the scenario's name, its snapshot and a hash of its resolved parameters, so the same question on the same snapshot has the same id (re-running it replaces its rows).
create table if not exists scenario.runs (
    scenario_id varchar primary key,
    name varchar not null,
    snapshot_id bigint not null,      -- the twin snapshot the scenario starts from
    as_of date not null,              -- that snapshot's plant day
    created_at timestamp not null,
    params varchar not null,          -- canonical JSON of the resolved parameters (outages, multipliers, delays, shifts, horizon, replications, seed)
    params_hash varchar not null,     -- sha256 of params
    horizon_days integer,
    replications integer,
    seed bigint,
    code_version varchar not null,
    report_dir varchar                -- where the scenario report was written
);

-- Line output of a scenario. Grain: one row per scenario, variant and line per forecast day; variant 'baseline' is the snapshot recomputed with the same seed and code, 'scenario' with the changes.
create table if not exists scenario.line_forecast (
    scenario_id varchar not null,
    variant varchar not null,         -- baseline / scenario
    site_id varchar,
    line_id varchar not null,
    day date not null,
    required_qty double,
    p10_qty double,
    p50_qty double,
    p90_qty double,
    bottleneck_machine_id varchar,
    work_order_qty double,
    uncovered_demand_qty double,
    mean_qty double,
    p_meet double,                    -- share of replications whose output reaches required_qty
    planned_hours double,             -- includes the scenario's extra shifts, less its outages' lines
    bottleneck_utilization double,
    replications bigint
);

-- Inventory projection of a scenario. Grain: one row per scenario, variant, site and material per forecast day.
create table if not exists scenario.inventory_projection (
    scenario_id varchar not null,
    variant varchar not null,         -- baseline / scenario
    site_id varchar,
    material_id varchar not null,
    day date not null,
    opening_on_hand double,
    past_due_requirement double,
    requirement double,
    receipts double,
    closing_on_hand double            -- below 0 is a shortage
);

-- Material status of a scenario. Grain: one row per scenario, variant, site and material.
create table if not exists scenario.material_status (
    scenario_id varchar not null,
    variant varchar not null,         -- baseline / scenario
    site_id varchar,
    material_id varchar not null,
    supplier_id varchar,
    on_hand double,
    days_of_cover double,             -- null when days_of_cover_unbounded
    days_of_cover_unbounded boolean,
    stockout_date date,               -- first horizon day closing on-hand < 0 (null: none)
    lead_time_days double,            -- includes the scenario's supplier delay
    safety_stock double,
    reorder_point double,
    order_qty double,
    order_by_date date
);

-- Customer demand not covered by planned work orders in a scenario. Grain: one row per scenario, variant, product and demand day.
create table if not exists scenario.uncovered_demand (
    scenario_id varchar not null,
    variant varchar not null,         -- baseline / scenario
    site_id varchar,
    product_id varchar not null,
    day date not null,
    demand_qty double,
    planned_qty double,
    cum_demand_qty double,
    cum_planned_qty double,
    uncovered_qty double
);

-- Department instructions under a scenario. Grain: one row per scenario, variant and instruction (the nightly's rules applied to the variant's tables).
create table if not exists scenario.instructions (
    scenario_id varchar not null,
    variant varchar not null,         -- baseline / scenario
    department varchar not null,
    priority integer not null,
    action varchar not null,
    reason varchar not null,
    due_date date,
    entity_type varchar,
    entity_id varchar,
    line_id varchar,
    source varchar
);

-- Instructions a scenario changes. Grain: one row per scenario and changed instruction: new (only under the scenario), dropped (only in the baseline) or changed (same department and entity, different action, priority or due date).
create table if not exists scenario.instruction_changes (
    scenario_id varchar not null,
    change varchar not null,          -- new / dropped / changed
    department varchar not null,
    entity_type varchar,
    entity_id varchar,
    line_id varchar,
    baseline_priority integer,
    scenario_priority integer,
    baseline_action varchar,
    scenario_action varchar,
    baseline_due_date date,
    scenario_due_date date,
    reason varchar                    -- the scenario's reason (the baseline's for dropped)
);
