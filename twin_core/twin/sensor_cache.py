"""Sensor-hour aggregates kept between rebuilds, so a night's cost follows its new readings.

One query per variant, in two parts: a step (``sql/inputs/sensor_hours_step.sql``,
``quality_sensor_hours_step.sql``) aggregates readings per sensor and UTC hour over any window,
and a reader (``sensor_hours.sql``, ``quality_sensor_hourly.sql``) judges those rows for the
window asked. ``meta.sensor_hours`` (machine health, sensor faults) and
``meta.sensor_quality_hours`` (pre-emptive quality) hold the step one UTC day at a time; the
readers read them. The builders look back 7-8 days; without the cache every rebuild aggregated
every reading of those days again (at bench scale 86M readings a day, about 30 s per day of
lookback). A window not made of whole UTC hours, or a read-only warehouse, runs the step over
the window in place of the table (``direct_sql``); tests/twin/test_sensor_cache.py checks that
both ways give the same rows.

A cached day is recomputed when anything it was computed from may have changed: its fingerprints
of the day's readings, of the machine events overlapping it and of the sensors' master data
(machine, valid range) are stored with the day and compared on every read. The readings'
fingerprint is the list of promoted reading batches whose time span touches the day, each
with the time of its promotion (``core.promoted_batches``): core's readings change only
through a promotion, and a batch that supersedes a reading carries a reading of the same key,
so of the same time. It reads a table of one row per batch, never the readings.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import polars as pl

from twin_core.twin.inputs import CoreInputs
from twin_core.warehouse import fetch_polars, sql_file, transaction, used_params

__all__ = ["direct_sql", "quality_hourly", "refresh", "sensor_hours"]

# reader -> (the cache table it reads, the step that fills it)
_VARIANTS = {
    "sensor_hours": ("meta.sensor_hours", "sensor_hours_step"),
    "quality_sensor_hourly": ("meta.sensor_quality_hours", "quality_sensor_hours_step"),
}
_EVENTS_FP = """
select d.day, count(e.machine_id)::varchar || ':' ||
    coalesce(bit_xor(hash(e.machine_id, e.start_ts, e.end_ts, e.state)), 0)::varchar as fp
from (select unnest($days::date[]) as day) d
left join core.machine_events e
    on e.start_ts < d.day + interval 1 day and e.end_ts > d.day
group by d.day
"""
_READINGS_FP = """
select coalesce(string_agg(batch_id || '@' || promoted_at::varchar, ',' order by batch_id), '')
from core.promoted_batches
where source = 'sensor_readings' and ts_min < $hi::timestamp and ts_max >= $lo::timestamp
"""
_SENSORS_FP = """
select count(*)::varchar || ':' ||
    coalesce(bit_xor(hash(sensor_id, machine_id, valid_min, valid_max)), 0)::varchar
from core.sensors
"""


def _whole_hours(start: datetime, end: datetime) -> bool:
    return all(t.minute == 0 and t.second == 0 and t.microsecond == 0 for t in (start, end))


def _days(start: datetime, end: datetime) -> list[date]:
    first, last = start.date(), (end - timedelta(microseconds=1)).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def refresh(con: duckdb.DuckDBPyConnection, days: list[date]) -> list[date]:
    """Bring the cache of ``days`` up to date; returns the days (re)computed."""
    readings = {}
    for d in days:
        row = con.execute(_READINGS_FP, {"lo": d, "hi": d + timedelta(days=1)}).fetchone()
        readings[d] = str(row[0]) if row else ""
    events = dict(con.execute(_EVENTS_FP, {"days": days}).fetchall())
    row = con.execute(_SENSORS_FP).fetchone()
    sensors_fp = str(row[0]) if row else ""
    cached = {
        r[0]: (r[1], r[2], r[3])
        for r in con.execute(
            "select day, readings_fp, events_fp, sensors_fp from meta.sensor_hours_days "
            "where day in (select unnest($days::date[]))",
            {"days": days},
        ).fetchall()
    }
    current = {d: (readings[d], events[d], sensors_fp) for d in days}
    stale = [d for d in days if cached.get(d) != current[d]]
    for day in stale:
        start = datetime.combine(day, datetime.min.time())
        params = {"day": day, "start": start, "end": start + timedelta(days=1)}
        # One transaction per day: a crash leaves whole days (or none) in the cache.
        with transaction(con):
            for table, name in _VARIANTS.values():
                con.execute(f"delete from {table} where day = ?", [day])
                sql = f"insert into {table} by name {sql_file('inputs', name)}"
                con.execute(sql, used_params(sql, params))
            con.execute(
                "insert or replace into meta.sensor_hours_days "
                "values (?, ?, ?, ?, now()::timestamp)",
                [day, *current[day]],
            )
    return stale


def direct_sql(reader: str) -> str:
    """The reader ``sql/inputs/<reader>.sql`` with its step over the window in place of the
    cache table: the same rows, computed from the readings (params ``start``, ``end``, ``day``)."""
    table, step = _VARIANTS[reader]
    sql = sql_file("inputs", reader)
    source = f"from {table} as"
    if sql.count(source) != 1:
        raise ValueError(f"sql/inputs/{reader}.sql must read {table} exactly once")
    return sql.replace(source, f"from (\n{sql_file('inputs', step)}\n) as")


def _read(inputs: CoreInputs, reader: str, start: datetime, end: datetime) -> pl.DataFrame:
    """``reader`` over [start, end) (naive UTC): from the cache when the window is whole UTC
    hours and the warehouse writable, else from the readings."""
    params = {"start": start, "end": end}
    if _whole_hours(start, end):
        try:
            refresh(inputs.con, _days(start, end))
        except duckdb.InvalidInputException as exc:
            if "read-only" not in str(exc).lower():
                raise
        else:
            sql = sql_file("inputs", reader)
            return fetch_polars(inputs.con, sql, used_params(sql, params))
    # Computed from the readings: kept for the rest of the rebuild, like any named input.
    return inputs.query_sql(direct_sql(reader), **params, day=start.date())


def sensor_hours(inputs: CoreInputs, start: datetime, end: datetime) -> pl.DataFrame:
    """``sql/inputs/sensor_hours.sql`` over [start, end) (naive UTC)."""
    return _read(inputs, "sensor_hours", start, end)


def quality_hourly(inputs: CoreInputs, since: datetime, end: datetime) -> pl.DataFrame:
    """``sql/inputs/quality_sensor_hourly.sql`` from ``since`` to ``end`` (the end of the
    as-of day, naive UTC)."""
    return _read(inputs, "quality_sensor_hourly", since, end)
