-- Machine and line tables of each snapshot (issue: twin core I).

-- One row per machine per plant day.
create table if not exists history.machine_day (
    snapshot_id bigint not null,
    site_id varchar,
    machine_id varchar not null,
    line_id varchar,
    day date not null,
    planned_busy_s double,            -- PBT: calendar time less planned_stop (and outside shifts)
    running_s double,                 -- APT
    down_s double,
    setup_s double,
    idle_s double,
    good_qty bigint,
    scrap_qty bigint,
    availability double,              -- APT / PBT
    performance double,               -- ideal_cycle_time_s x (good + scrap) / APT
    quality double,                   -- good / (good + scrap)
    oee double,                       -- ideal_cycle_time_s x good / PBT
    performance_implausible boolean,  -- performance > 1: counts or ideal cycle time are wrong
    planned_stop_s double,            -- planned_stop time inside the planned windows
    unrecorded_s double,              -- PBT no event covers: PBT - running - down - setup - idle
    ideal_cycle_time_s double         -- the machine's ideal cycle time the ratios used
);

-- One row per machine: its health from sensor evidence.
create table if not exists history.machine_health (
    snapshot_id bigint not null,
    site_id varchar,
    machine_id varchar not null,
    line_id varchar,
    health_score double,              -- 1 healthy .. 0 at its alarm limits
    anomalies bigint,                 -- sensors of this machine with a machine-side anomaly
    predicted_limit_date date,        -- when the worst trend crosses its alarm limit (null: none)
    evidence varchar,                 -- sensors and numbers behind the score
    sensors_used bigint,              -- sensors with readings the score could use (faulty ones excluded)
    sensor_faults bigint,             -- sensors of the machine whose status is not ok
    worst_sensor_id varchar           -- the sensor with the lowest health (history.sensor_health)
);

-- One row per sensor: is the sensor itself trustworthy.
create table if not exists history.sensor_status (
    snapshot_id bigint not null,
    site_id varchar,
    sensor_id varchar not null,
    machine_id varchar,
    status varchar not null,          -- ok / stuck / dropout / out_of_range
    since timestamp,                  -- start of the fault (UTC); null when ok
    evidence varchar
);

-- One row per line per forecast day.
create table if not exists history.line_forecast (
    snapshot_id bigint not null,
    site_id varchar,
    line_id varchar not null,
    day date not null,
    required_qty double,              -- work_order_qty + uncovered_demand_qty
    p10_qty double,                   -- good units of the last station (quantiles over replications)
    p50_qty double,
    p90_qty double,
    bottleneck_machine_id varchar,    -- station busiest (working or under repair) that day, mean over replications
    work_order_qty double,            -- open work orders due that day (past-due ones on the first day)
    uncovered_demand_qty double,      -- demand due that day beyond the work orders (cumulative, per product)
    mean_qty double,                  -- mean good output over the replications
    p_meet double,                    -- share of replications whose output reaches required_qty
    planned_hours double,             -- hours the line is planned to produce that day (shifts or 24 h less stops)
    bottleneck_utilization double,    -- busy share of the bottleneck's open time that day
    replications bigint
);
