-- Machine and line detail of each snapshot (issue: twin core I), after 041: per-shift OEE,
-- per-sensor health, the measured inputs of the line simulation, and the columns 041 gained
-- (for warehouses created before them).
alter table history.machine_day add column if not exists planned_stop_s double;
alter table history.machine_day add column if not exists unrecorded_s double;
alter table history.machine_day add column if not exists ideal_cycle_time_s double;
alter table history.machine_health add column if not exists sensors_used bigint;
alter table history.machine_health add column if not exists sensor_faults bigint;
alter table history.machine_health add column if not exists worst_sensor_id varchar;
alter table history.line_forecast add column if not exists work_order_qty double;
alter table history.line_forecast add column if not exists uncovered_demand_qty double;
alter table history.line_forecast add column if not exists mean_qty double;
alter table history.line_forecast add column if not exists p_meet double;
alter table history.line_forecast add column if not exists planned_hours double;
alter table history.line_forecast add column if not exists bottleneck_utilization double;
alter table history.line_forecast add column if not exists replications bigint;

-- One row per machine per shift (lines with shifts only), the shift started on a plant day in
-- machine_day's window and ended by the as-of cut. Same definitions as machine_day.
create table if not exists history.machine_shift (
    snapshot_id bigint not null,
    site_id varchar,
    machine_id varchar not null,
    line_id varchar,
    day date not null,                -- plant day the shift starts
    shift_start timestamp not null,   -- UTC
    shift_end timestamp not null,     -- UTC
    planned_busy_s double,            -- shift time less planned_stop inside it
    running_s double,
    down_s double,
    setup_s double,
    idle_s double,
    planned_stop_s double,
    unrecorded_s double,
    good_qty bigint,                  -- records whose end_ts falls in the shift
    scrap_qty bigint,
    ideal_cycle_time_s double,
    availability double,
    performance double,
    quality double,
    oee double,
    performance_implausible boolean
);

-- One row per sensor: the numbers behind machine_health (robust baseline, drift, trend, limits).
create table if not exists history.sensor_health (
    snapshot_id bigint not null,
    site_id varchar,
    sensor_id varchar not null,
    machine_id varchar,
    metric varchar,
    unit varchar,
    status varchar,                   -- sensor_status.status; a faulty sensor gets no health
    hours_used bigint,                -- hourly means used (hours the machine mostly ran)
    baseline_median double,           -- median of the hourly means in the baseline window
    baseline_scale double,            -- robust sigma: max(1.4826 MAD, noise floors)
    level double,                     -- mean of the last hourly means (health.level_hours)
    z double,                         -- (level - baseline_median) / baseline_scale
    ewma_z double,                    -- EWMA of the hourly z at the last hour
    drift boolean,                    -- |ewma_z| beyond the EWMA control limit
    slope_per_day double,             -- linear trend of the recent hourly means, unit per day
    trend boolean,                    -- the trend is significant (t >= health.trend_t)
    alarm_low double,
    alarm_high double,
    health double,                    -- 1 at the baseline .. 0 at the alarm limit it moves toward
    predicted_limit_date date,        -- plant day the trend reaches its alarm limit (null: none)
    anomaly boolean,                  -- drift, a limit reached, or a trend to a limit
    evidence varchar
);

-- One row per machine: what the line simulation draws from, measured over the lookback.
create table if not exists history.machine_reliability (
    snapshot_id bigint not null,
    site_id varchar,
    machine_id varchar not null,
    line_id varchar,
    line_position bigint,
    ideal_cycle_time_s double,
    running_h double,                 -- running time in the lookback
    failures bigint,                  -- down periods (adjacent down events merged)
    mtbf_h double,                    -- running hours per failure (null: no failure seen)
    mttr_h double,                    -- mean hours of a down period
    repair_cv double,                 -- coefficient of variation of the down periods
    performance double,               -- ideal x (good + scrap) / running over the lookback
    setup_share double,               -- setup time per running time
    quality double,                   -- good / (good + scrap)
    cycle_s double,                   -- mean seconds per unit while not failed: ideal / performance x (1 + setup_share)
    lookback_days bigint,
    down_at_cut boolean               -- down at the end of the as-of day: the forecast starts it under repair
);
