-- SPC, capability, pre-emptive quality and feedback tables of each snapshot (issue: twin core III).

-- One row per product, characteristic and chart (location and dispersion in one row).
create table if not exists history.spc_limits (
    snapshot_id bigint not null,
    site_id varchar,                  -- site of the line that builds the product
    product_id varchar not null,
    characteristic varchar not null,  -- inspected characteristic, or defect:<code> / defects:all
    chart varchar not null,           -- I-MR / Xbar-R / Xbar-S / p / np / c / u
    limit_method varchar,             -- 3-sigma, or probability (exact limits of a rare count)
    subgroup_size double,             -- nominal lot size (mean inspected qty on p / u charts)
    center double,                    -- location (or attribute) chart centre line
    lcl double,
    ucl double,
    sigma double,                     -- sigma_within (variables), sigma at the nominal size (attributes)
    range_center double,              -- dispersion chart (MR / R / S) centre; null on attribute charts
    range_lcl double,
    range_ucl double,
    baseline_subgroups bigint,        -- subgroups the limits come from (fewer than the setting: trial limits)
    subgroups bigint                  -- subgroups in the series so far
);

-- One row per rule firing on a subgroup (lot).
create table if not exists history.spc_violations (
    snapshot_id bigint not null,
    site_id varchar,
    product_id varchar not null,
    characteristic varchar not null,
    lot_id varchar not null,
    rule varchar not null,            -- WE1..WE4, NELSON1..NELSON8
    value double,                     -- the plotted statistic of the lot
    ts timestamp,                     -- first measurement of the lot (UTC)
    chart varchar,                    -- X / Xbar / MR / R / S / p / np / c / u
    in_baseline boolean               -- the lot is one of the baseline subgroups
);

-- One row per product and characteristic.
create table if not exists history.capability (
    snapshot_id bigint not null,
    site_id varchar,
    product_id varchar not null,
    characteristic varchar not null,
    n bigint,                         -- measurements
    cp double,                        -- (USL - LSL) / 6 sigma_within; null when one limit is missing
    cpk double,                       -- min(USL - mu, mu - LSL) / 3 sigma_within (one-sided if needed)
    pp double,                        -- as cp with sigma_overall
    ppk double,                       -- as cpk with sigma_overall
    mean double,                      -- mu, mean of every measurement
    sigma_within double,              -- MRbar/1.128, Rbar/d2 or Sbar/c4 over every subgroup
    sigma_overall double,             -- sample standard deviation of every measurement
    lsl double,                       -- latest stated lower spec limit
    usl double                        -- latest stated upper spec limit
);

-- One row per product, revision and feedback category.
create table if not exists history.feedback_insights (
    snapshot_id bigint not null,
    site_id varchar,
    product_id varchar not null,
    revision varchar,                 -- feedback's revision, else its lot's, else the product's latest
    category varchar not null,
    feedback_count bigint,
    rate_per_1000_units double,       -- feedback_count per 1,000 units shipped of the revision
    lots varchar,                     -- JSON list
    lines varchar,                    -- JSON list
    machines varchar,                 -- JSON list
    units_shipped bigint              -- good units off the line's last machine, this revision
);

-- One row per revision of a product with two or more revisions: its complaint rate tested against its siblings.
create table if not exists history.revision_flags (
    snapshot_id bigint not null,
    site_id varchar,
    product_id varchar not null,
    revision varchar not null,
    complaints bigint,                -- feedback in complaint / return / warranty
    units_shipped bigint,
    rate_per_1000_units double,
    sibling_complaints bigint,        -- complaints on the product's other revisions
    sibling_units bigint,
    sibling_rate_per_1000_units double,
    test varchar,                     -- the test that gave p_value
    p_value double,                   -- one-sided: P(X >= complaints), X ~ Bin(all complaints, units share)
    flagged boolean,                  -- p_value < 0.01 and rate above the siblings'
    themes varchar,                   -- JSON list: TF-IDF terms of its complaints against the siblings'
    lots varchar,                     -- JSON list of lots named by its complaints
    lines varchar,                    -- JSON list, most complaints first
    machines varchar                  -- JSON list, most complaints first
);

-- One row per machine, sensor metric, product and characteristic where the sensor drifted.
create table if not exists history.quality_drift (
    snapshot_id bigint not null,
    site_id varchar,
    machine_id varchar not null,
    metric varchar not null,
    product_id varchar not null,
    characteristic varchar not null,
    link varchar,                     -- process (inspections name the machine) / measured / both
    direction varchar,                -- up / down
    first_alarm_ts timestamp,         -- end of the first production record the EWMA alarmed on (UTC)
    first_alarm_lot varchar,
    last_alarm_ts timestamp,
    alarm_lots bigint,
    baseline_mean double,             -- metric over the machine's baseline production windows
    baseline_sd double,
    drift_level double,               -- smoothed (EWMA) metric level at the latest alarm
    max_ewma double,                  -- largest |EWMA| in baseline sds
    slope double,                     -- characteristic units per metric unit (OLS of lot means)
    p_value double,                   -- two-sided t test of the slope
    predicted_shift double,           -- slope x drift, where the slope is significant
    first_rule_ts timestamp,          -- first run rule on the characteristic since the drift began
    lead_hours double,                -- first_rule_ts - first_alarm_ts
    evidence varchar
);

-- One row per lot, product, machine and reason to hold the lot.
create table if not exists history.lots_to_hold (
    snapshot_id bigint not null,
    site_id varchar,
    lot_id varchar not null,
    product_id varchar not null,
    machine_id varchar,
    reason varchar not null,          -- sensor_drift / characteristic_trend / spc_violation
    evidence varchar,                 -- the numbers behind the hold
    flagged_at timestamp,             -- when the evidence existed (UTC)
    characteristics varchar           -- JSON list of the characteristics concerned
);
