-- SPC, capability and feedback tables of each snapshot (issue: twin core III).

-- One row per product, characteristic and chart (location and dispersion in one row).
create table if not exists history.spc_limits (
    snapshot_id bigint not null,
    product_id varchar not null,
    characteristic varchar not null,
    chart varchar not null,           -- I-MR / Xbar-R / Xbar-S / p / np / c / u
    subgroup_size double,
    center double,
    lcl double,
    ucl double,
    sigma double,
    range_center double,
    range_lcl double,
    range_ucl double
);

-- One row per rule firing on a subgroup.
create table if not exists history.spc_violations (
    snapshot_id bigint not null,
    product_id varchar not null,
    characteristic varchar not null,
    lot_id varchar not null,
    rule varchar not null,            -- e.g. WE1, WE2, NELSON3
    value double,
    ts timestamp
);

-- One row per product and characteristic.
create table if not exists history.capability (
    snapshot_id bigint not null,
    product_id varchar not null,
    characteristic varchar not null,
    n bigint,
    cp double,
    cpk double,
    pp double,
    ppk double
);

-- One row per product, revision and feedback category.
create table if not exists history.feedback_insights (
    snapshot_id bigint not null,
    product_id varchar not null,
    revision varchar,
    category varchar not null,
    feedback_count bigint,
    rate_per_1000_units double,
    lots varchar,                     -- JSON list
    lines varchar,                    -- JSON list
    machines varchar                  -- JSON list
);
