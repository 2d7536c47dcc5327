"""Data coverage: how much of each source a plant day holds against what the data leads one
to expect, and the status that follows from a source's policy.

Grain of every function here: one row per site, line and plant day (``line_id`` null on the
site's total row), with ``rows`` (rows found), ``covered`` / ``expected`` in the source's
``unit``, ``newest_ts``, and what ``judge`` adds: ``completeness``, ``status`` (ok / partial /
missing / stale) and ``reason`` in words.

What is expected comes from the data itself, never from a constant:

- sensor readings: each sensor's sample period observed over the window (the median spacing of
  its readings inside the hours it reported in), so a sensor read every 10 s is expected 8,640
  times a day and one read every minute 1,440 times; a sensor that never reported in the window
  has no period and adds nothing to what is expected.
- machine events: they must cover every machine's calendar time (running, idle, setup, down
  and planned stops alike; OEE's planned busy time is the calendar less planned stops).
- production: a machine that ran must have production recorded up to the end of its running;
  running seconds after the newest production record of its line (past a grace) are uncovered.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from twin_core.sim.calendar import local_day, split_by_day

__all__ = [
    "COVERAGE_COLUMNS",
    "STATUS_ORDER",
    "event_coverage",
    "judge",
    "production_coverage",
    "sensor_coverage",
    "sensor_periods",
    "worst",
]

STATUS_ORDER: tuple[str, ...] = ("ok", "partial", "stale", "missing")
COVERAGE_COLUMNS: dict[str, pl.DataType] = {
    "site_id": pl.String(),
    "line_id": pl.String(),
    "day": pl.Date(),
    "rows": pl.Int64(),
    "expected_rows": pl.Float64(),
    "covered": pl.Float64(),
    "expected": pl.Float64(),
    "unit": pl.String(),
    "newest_ts": pl.Datetime("us"),
    "detail": pl.String(),
}


def worst(statuses: list[str]) -> str:
    """The worst of some statuses (ok < partial < stale < missing); ok when there are none."""
    known = [s for s in statuses if s in STATUS_ORDER]
    return max(known, key=STATUS_ORDER.index) if known else "ok"


MAX_PHRASES = 5


def _phrases(col: str = "phrase") -> pl.Expr:
    """The first MAX_PHRASES phrases of a group joined, and how many more there are."""
    # pl.len() is unsigned: 1 - 5 would wrap to 4294967292 ("and 4294967292 more").
    more = pl.len().cast(pl.Int64) - MAX_PHRASES
    head = pl.col(col).sort().head(MAX_PHRASES).str.join("; ")
    return (
        pl.when(more > 0)
        .then(pl.format("{}; and {} more", head, more))
        .otherwise(head)
        .alias("detail")
    )


def _ts_text(col: str) -> pl.Expr:
    return pl.col(col).dt.strftime("%Y-%m-%d %H:%M")


def sensor_periods(hourly: pl.LazyFrame) -> pl.LazyFrame:
    """sensor_id, period_s: each sensor's observed sample period.

    ``hourly`` holds one row per sensor and UTC hour with a reading: n, first_ts, last_ts. Inside
    an hour of n >= 2 readings the spacing is (last - first) / (n - 1); the period is the
    median of those spacings (robust to the partial hours at the edge of a dropout). A sensor
    that never reads twice in an hour gets the median gap between its hours' first readings.
    """
    inside = (
        hourly.filter(pl.col("n") >= 2)
        .with_columns(
            gap_s=(pl.col("last_ts") - pl.col("first_ts")).dt.total_microseconds()
            / 1e6
            / (pl.col("n") - 1)
        )
        .filter(pl.col("gap_s") > 0)
        .group_by("sensor_id")
        .agg(period_s=pl.col("gap_s").median())
    )
    sparse = (
        hourly.sort("sensor_id", "first_ts")
        .with_columns(
            gap_s=pl.col("first_ts").diff().over("sensor_id").dt.total_microseconds() / 1e6
        )
        .filter(pl.col("gap_s") > 0)
        .group_by("sensor_id")
        .agg(sparse_s=pl.col("gap_s").median())
    )
    return (
        hourly.select("sensor_id")
        .unique()
        .join(inside, on="sensor_id", how="left")
        .join(sparse, on="sensor_id", how="left")
        .select("sensor_id", period_s=pl.coalesce("period_s", "sparse_s"))
    )


def _sum_known(col: str) -> pl.Expr:
    """The sum of a column, null when every value is null (nothing could be expected)."""
    return pl.when(pl.col(col).is_not_null().any()).then(pl.col(col).sum()).otherwise(None)


def _with_site_totals(per_line: pl.LazyFrame) -> pl.LazyFrame:
    """The per-line rows plus one total row per site and day (line_id null)."""
    totals = per_line.group_by("site_id", "day").agg(
        pl.col("rows").sum(),
        _sum_known("expected_rows"),
        pl.col("covered").sum(),
        _sum_known("expected"),
        pl.col("unit").first(),
        pl.col("newest_ts").max(),
        pl.col("detail").drop_nulls().alias("phrase"),
    )
    totals = totals.with_columns(
        line_id=pl.lit(None, pl.String),
        detail=pl.when(pl.col("phrase").list.len() == 0)
        .then(None)
        .when(pl.col("phrase").list.len() > MAX_PHRASES)
        .then(
            pl.format(
                "{}; and {} more line(s)",
                pl.col("phrase").list.head(MAX_PHRASES).list.join("; "),
                pl.col("phrase").list.len() - MAX_PHRASES,
            )
        )
        .otherwise(pl.col("phrase").list.join("; ")),
    )
    cols = list(COVERAGE_COLUMNS)
    return pl.concat([per_line.select(cols), totals.select(cols)], how="vertical_relaxed")


def sensor_coverage(
    hourly: pl.LazyFrame,
    sensors: pl.LazyFrame,
    machines: pl.LazyFrame,
    days: pl.DataFrame,
    tz: str,
    *,
    min_completeness: float,
) -> pl.LazyFrame:
    """Readings found and expected per site, line and plant day of ``days``.

    ``hourly``: sensor_id, hour, n, first_ts, last_ts (UTC hours); ``sensors``: sensor_id,
    machine_id; ``machines``: machine_id, line_id, site_id; ``days``: a ``plant_days`` frame.
    A sensor-day below ``min_completeness`` of its own expectation is named in ``detail``
    (grouped by machine: one machine's silent sensors are one phrase, with the time of the
    last reading of that machine's sensors).
    """
    periods = sensor_periods(hourly)
    day_bounds = days.lazy().with_columns(
        day_s=(pl.col("end_ts") - pl.col("start_ts")).dt.total_microseconds() / 1e6
    )
    owners = sensors.select("sensor_id", "machine_id").join(
        machines.select("machine_id", "line_id", "site_id"), on="machine_id", how="inner"
    )
    found = (
        hourly.with_columns(day=local_day("hour", tz))
        .group_by("sensor_id", "day")
        .agg(pl.col("n").sum().alias("n"), pl.col("last_ts").max().alias("last_ts"))
    )
    grid = (
        owners.join(day_bounds.select("day", "start_ts", "end_ts", "day_s"), how="cross")
        .join(periods, on="sensor_id", how="left")
        .join(found, on=["sensor_id", "day"], how="left")
        .with_columns(
            n=pl.col("n").fill_null(0),
            expected_n=pl.col("day_s") / pl.col("period_s"),
        )
        .with_columns(
            short=(pl.col("expected_n") > 0)
            & (pl.col("n") < min_completeness * pl.col("expected_n"))
        )
    )
    short_by_machine = (
        grid.filter(pl.col("short"))
        .group_by("site_id", "line_id", "day", "machine_id")
        .agg(
            pl.len().alias("k"),
            pl.col("last_ts").max().alias("last"),
            pl.col("end_ts").first().alias("end"),
            pl.col("n").sum().alias("n"),
            pl.col("expected_n").sum().round(0).cast(pl.Int64).alias("e"),
        )
        .with_columns(
            phrase=pl.format(
                "machine {}: {} sensor(s) {}",
                "machine_id",
                "k",
                pl.when(pl.col("last").is_null())
                .then(pl.lit("silent all day"))
                .when(pl.col("last") < pl.col("end") - pl.duration(hours=1))
                .then(pl.format("silent since {}", _ts_text("last")))
                .otherwise(pl.format("short ({} of {} readings)", "n", "e")),
            )
        )
        .group_by("site_id", "line_id", "day")
        .agg(_phrases())
    )
    per_line = (
        grid.group_by("site_id", "line_id", "day")
        .agg(
            pl.col("n").sum().cast(pl.Int64).alias("rows"),
            _sum_known("expected_n").round(0).alias("expected_rows"),
            pl.col("last_ts").max().alias("newest_ts"),
        )
        .join(short_by_machine, on=["site_id", "line_id", "day"], how="left")
        .with_columns(
            covered=pl.col("rows").cast(pl.Float64),
            expected=pl.col("expected_rows"),
            unit=pl.lit("readings"),
        )
    )
    return _with_site_totals(per_line)


def _per_machine_day(intervals: pl.LazyFrame, days: pl.DataFrame, tz: str) -> pl.LazyFrame:
    """Seconds of [start_ts, end_ts) intervals per machine and plant day (overlaps merged)."""
    cut = split_by_day(intervals, "start_ts", "end_ts", days, tz).sort(
        "machine_id", "day", "start_ts"
    )
    # Merge overlapping intervals: an interval starting before the running end of the ones
    # before it adds only what reaches beyond that end.
    prior_end = pl.col("end_ts").cum_max().shift(1).over("machine_id", "day")
    start = pl.max_horizontal("start_ts", prior_end.fill_null(pl.col("start_ts")))
    return (
        cut.with_columns(
            s=(pl.col("end_ts") - start).dt.total_microseconds().clip(lower_bound=0) / 1e6
        )
        .group_by("machine_id", "day")
        .agg(pl.col("s").sum(), pl.len().alias("n"), pl.col("end_ts").max().alias("last"))
    )


def event_coverage(
    events: pl.LazyFrame,
    machines: pl.LazyFrame,
    days: pl.DataFrame,
    tz: str,
    *,
    min_completeness: float,
) -> pl.LazyFrame:
    """Machine-seconds covered by events against every machine's calendar time, per site, line
    and plant day. ``events``: machine_id, start_ts, end_ts (cut at the as-of end)."""
    m = machines.select("machine_id", "line_id", "site_id")
    bounds = days.lazy().with_columns(
        day_s=(pl.col("end_ts") - pl.col("start_ts")).dt.total_microseconds() / 1e6
    )
    covered = _per_machine_day(events.select("machine_id", "start_ts", "end_ts"), days, tz)
    grid = (
        m.join(bounds.select("day", "day_s"), how="cross")
        .join(covered, on=["machine_id", "day"], how="left")
        .with_columns(pl.col("s").fill_null(0.0), pl.col("n").fill_null(0))
    )
    short = (
        grid.filter(pl.col("s") < min_completeness * pl.col("day_s"))
        .with_columns(
            phrase=pl.format(
                "machine {}: {} of {} h, {}",
                "machine_id",
                (pl.col("s") / 3600).round(1),
                (pl.col("day_s") / 3600).round(0),
                pl.when(pl.col("last").is_null())
                .then(pl.lit("no events"))
                .otherwise(pl.format("events end {}", _ts_text("last"))),
            )
        )
        .group_by("site_id", "line_id", "day")
        .agg(_phrases())
    )
    per_line = (
        grid.group_by("site_id", "line_id", "day")
        .agg(
            pl.col("n").sum().cast(pl.Int64).alias("rows"),
            pl.col("s").sum().alias("covered"),
            pl.col("day_s").sum().alias("expected"),
            pl.col("last").max().alias("newest_ts"),
        )
        .join(short, on=["site_id", "line_id", "day"], how="left")
        .with_columns(expected_rows=pl.lit(None, pl.Float64), unit=pl.lit("machine-seconds"))
    )
    return _with_site_totals(per_line)


def production_coverage(
    production: pl.LazyFrame,
    events: pl.LazyFrame,
    machines: pl.LazyFrame,
    days: pl.DataFrame,
    tz: str,
    *,
    grace_s: float,
) -> pl.LazyFrame:
    """Running machine-seconds with production recorded against all running machine-seconds,
    per site, line and plant day.

    A line's production is recorded up to its newest production record of the day (end_ts)
    plus ``grace_s`` (a lot is recorded when it ends); running time after that, or on a day
    with no record of the line at all, is uncovered. A line that did not run expects nothing.
    ``production``: machine_id, end_ts; ``events``: machine_id, start_ts, end_ts, state.
    """
    m = machines.select("machine_id", "line_id", "site_id")
    made = (
        production.join(m, on="machine_id", how="inner")
        .with_columns(day=local_day("end_ts", tz))
        .group_by("line_id", "day")
        .agg(pl.len().alias("rows"), pl.col("end_ts").max().alias("newest_ts"))
    )
    running = (
        events.filter(pl.col("state") == "running")
        .select("machine_id", "start_ts", "end_ts")
        .join(m, on="machine_id", how="inner")
    )
    cut = split_by_day(running, "start_ts", "end_ts", days, tz).join(
        made.select("line_id", "day", "newest_ts"), on=["line_id", "day"], how="left"
    )
    limit = pl.col("newest_ts") + pl.duration(seconds=grace_s)
    seconds = (pl.col("end_ts") - pl.col("start_ts")).dt.total_microseconds() / 1e6
    within = (
        (pl.min_horizontal("end_ts", limit) - pl.col("start_ts")).dt.total_microseconds() / 1e6
    ).clip(lower_bound=0)
    ran = (
        cut.with_columns(run_s=seconds, rec_s=within.fill_null(0.0))
        .group_by("site_id", "line_id", "day")
        .agg(
            pl.col("run_s").sum(),
            pl.col("rec_s").sum(),
            pl.col("end_ts").max().alias("ran_until"),
        )
    )
    # A line-day with no events at all cannot say whether the line ran: nothing to compare with.
    evented = (
        split_by_day(
            events.select("machine_id", "start_ts", "end_ts").join(m, on="machine_id"),
            "start_ts",
            "end_ts",
            days,
            tz,
        )
        .select("line_id", "day")
        .unique()
        .with_columns(has_events=pl.lit(True))
    )
    lines = m.select("site_id", "line_id").unique()
    per_line = (
        lines.join(days.lazy().select("day"), how="cross")
        .join(ran, on=["site_id", "line_id", "day"], how="left")
        .join(made, on=["line_id", "day"], how="left")
        .join(evented, on=["line_id", "day"], how="left")
        .with_columns(
            rows=pl.col("rows").fill_null(0).cast(pl.Int64),
            covered=pl.col("rec_s").fill_null(0.0),
            expected=pl.when(pl.col("has_events")).then(pl.col("run_s").fill_null(0.0)),
            expected_rows=pl.lit(None, pl.Float64),
            unit=pl.lit("running machine-seconds"),
        )
        .with_columns(
            detail=pl.when(pl.col("expected").fill_null(0) > pl.col("covered") + 1)
            .then(
                pl.format(
                    "line {} ran until {}, {}",
                    "line_id",
                    _ts_text("ran_until"),
                    pl.when(pl.col("newest_ts").is_null())
                    .then(pl.lit("no production recorded"))
                    .otherwise(pl.format("production recorded until {}", _ts_text("newest_ts"))),
                )
            )
            .otherwise(None)
        )
    )
    return _with_site_totals(per_line)


def judge(
    frame: pl.LazyFrame,
    *,
    source: str,
    required: bool,
    min_completeness: float,
    max_staleness_hours: float | None,
    as_of_end: datetime,
    day_ends: pl.DataFrame,
) -> pl.LazyFrame:
    """Completeness, status and reason of coverage rows of one source.

    missing: nothing found where something was expected (or, with nothing to expect, nothing
    found at all for a required source); stale (site rows of the as-of day only): the newest
    row is older than ``max_staleness_hours`` before the end of the as-of day; partial:
    completeness below ``min_completeness``; else ok. ``day_ends``: day, end_ts.
    """
    label = source.replace("_", " ")
    completeness = (
        pl.when(pl.col("expected") > 0)
        .then((pl.col("covered") / pl.col("expected")).clip(upper_bound=1.0))
        .otherwise(None)
    )
    where = (
        pl.when(pl.col("line_id").is_null())
        .then(
            pl.when(pl.col("site_id").is_null())
            .then(pl.lit(""))
            .otherwise(pl.format(" of site {}", "site_id"))
        )
        .otherwise(pl.format(" of line {}", "line_id"))
    )
    newest = (
        pl.when(pl.col("newest_ts").is_null()).then(pl.lit("none")).otherwise(_ts_text("newest_ts"))
    )
    stale_limit = (
        None
        if max_staleness_hours is None
        else pl.lit(as_of_end) - pl.duration(seconds=max_staleness_hours * 3600)
    )
    is_as_of = pl.col("end_ts") == pl.lit(as_of_end)
    nothing = pl.col("rows") == 0
    # Nothing found: missing, unless the data says nothing was due (a line that did not run).
    missing = nothing & ((pl.col("expected") > 0) | pl.col("expected").is_null())
    stale = (
        pl.lit(False)
        if stale_limit is None
        else is_as_of
        & pl.col("line_id").is_null()
        & (pl.col("newest_ts").is_null() | (pl.col("newest_ts") < stale_limit))
    )
    partial = pl.col("completeness") < min_completeness
    status = (
        pl.when(missing)
        .then(pl.lit("missing"))
        .when(stale)
        .then(pl.lit("stale"))
        .when(partial)
        .then(pl.lit("partial"))
        .otherwise(pl.lit("ok"))
    )
    pct = (pl.col("completeness") * 100).round(1)
    reason = (
        pl.when(pl.col("status") == "missing")
        .then(pl.format("no {}{} on {}; newest {}", pl.lit(label), where, "day", newest))
        .when(pl.col("status") == "stale")
        .then(
            pl.format(
                "newest {}{} is {} (more than {} h before the end of {})",
                pl.lit(label),
                where,
                newest,
                pl.lit(max_staleness_hours),
                "day",
            )
        )
        .when(pl.col("status") == "partial")
        .then(
            pl.format(
                "{}% of expected {}{} on {} (min {}%)",
                pct,
                pl.lit(label),
                where,
                "day",
                pl.lit(round(min_completeness * 100)),
            )
        )
        .otherwise(None)
    )
    ok_note = pl.format("{}% of expected {}{} on {}", pct, pl.lit(label), where, "day")
    reason = (
        pl.when(pl.col("detail").is_null() | (pl.col("status") == "missing"))
        .then(reason)
        .when(pl.col("status") == "ok")
        .then(pl.format("{}: {}", ok_note, "detail"))
        .otherwise(pl.format("{}: {}", reason, "detail"))
    )
    return (
        frame.join(day_ends.lazy().select("day", "end_ts"), on="day", how="left")
        .with_columns(completeness=completeness)
        .with_columns(status=status)
        .with_columns(
            reason=reason,
            source=pl.lit(source),
            required=pl.lit(required),
        )
        .drop("end_ts", "detail")
    )
