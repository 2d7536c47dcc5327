"""The ``unique_key`` check's query: which keys of a batch repeat (within a file).

Grain: one query per source and batch, returning one row per repeated key (the key group and
how often it occurs). Two ways to the same rows: grouping the batch by the key, or, when the
key has one time column and a bitmap per series over the batch's time range is small, finding
the series with a repeated time first and grouping only their rows (``unique_key_query``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from twin_core.contracts import Source
from twin_core.warehouse import quote_ident

EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class KeyTimes:
    """The batch's values of the key's time column, as the bitmap key check needs them."""

    lo_us: int  # earliest time, epoch microseconds
    hi_us: int  # latest time, epoch microseconds
    unit_us: int  # 1_000_000, 1_000 or 1: divides every time (so every offset from lo_us)
    series: int  # estimated distinct series: the key group without its time column
    nulls: int = 0  # rows whose time is null

    @property
    def lo(self) -> datetime:
        """The earliest time as a naive UTC timestamp (how the warehouse stores it)."""
        return EPOCH + timedelta(microseconds=self.lo_us)

    @property
    def hi(self) -> datetime:
        """The latest time as a naive UTC timestamp."""
        return EPOCH + timedelta(microseconds=self.hi_us)

    @property
    def bits(self) -> int:
        """Bits of one series' bitmap: one per possible time from lo_us to hi_us."""
        return (self.hi_us - self.lo_us) // self.unit_us + 1


# The bitmaps of the two-stage key check are aggregate states in DuckDB's hash aggregate: one
# per series, and before the threads' partial results are combined one per series per thread;
# a bitmap is allocated whole on a series' first row, so they are not something to count on
# spilling. 256 MB over all series keeps them a small share of the memory limits the warehouse
# runs with (the bench: 3 GB, 2 threads, so at most ~0.5 GB), far below what the plain
# group-by of a day's 86.4M keys holds. A bench day (1,000 sensors at 1 Hz: 1,000 x 86,400
# bits = 10.8 MB) fits 24 times over, so hourly files of it (series = file x sensor, each
# bitmap over the whole day) still fit; millisecond times over a day (10.8 MB per series, so
# more than 24 series) or a batch with a stray far-off time fall back to the plain group-by. The series count is a
# HyperLogLog estimate (a few per cent off), small against this margin.
BITMAP_BUDGET = 256 * 2**20  # bytes over all series
# DuckDB's bitstring_agg refuses a range (max - min) of 1e9 or more.
BITSTRING_MAX_RANGE = 999_999_999


def key_time_column(src: Source) -> str | None:
    """The key's time column when the key has exactly one TIMESTAMP column and another
    column besides (the series); the bitmap key check applies to such keys only."""
    timed = [c for c in src.key if src.column(c).type == "TIMESTAMP"]
    return timed[0] if len(timed) == 1 and len(src.key) > 1 else None


def key_group(src: Source, files: int | None) -> list[str]:
    """The columns a repeated key is counted by: the key, plus ``_file`` unless the batch
    holds one file of the source (the key repeats within a file, not across files)."""
    return list(src.key) if files == 1 else ["_file", *src.key]


def key_series(src: Source, files: int | None) -> list[str]:
    """The key group without its time column: the series whose times must be distinct."""
    t = key_time_column(src)
    return [c for c in key_group(src, files) if c != t]


def bitmap_fits(key_times: KeyTimes) -> bool:
    """Whether one bitmap per series over the batch's time range fits ``BITMAP_BUDGET``."""
    if key_times.bits - 1 > BITSTRING_MAX_RANGE:
        return False
    return key_times.series * ((key_times.bits + 7) // 8) <= BITMAP_BUDGET


def unique_key_query(src: Source, files: int | None, key_times: KeyTimes | None) -> tuple[str, str]:
    """GX's query for repeated keys (one row per key occurring more than once, grouped by
    ``key_group``) and the method in words.

    Plain: group the batch by the key. On a day of sensor readings that is a hash aggregate of
    86.4M groups, nearly all of size one. Two-stage, when the key has one time column and the
    bitmaps fit: stage 1 groups by series only (a thousand groups), setting one bit per time
    value in a bitmap over the batch's range, and flags a series when its bits set are fewer
    than its rows (coalesce: a series of null times only has no bitmap). That is sound: a
    repeat among non-null times sets fewer bits than count(time) <= count(*); a repeat among
    null times makes count(*) > count(time) >= bits set. Stage 2 applies the plain query to
    the flagged series' rows only, so both return the same rows. The series are matched with
    ``is not distinct from`` so a null series (the not-null check's business) is not lost.
    """
    group = ", ".join(quote_ident(c) for c in key_group(src, files))
    t = key_time_column(src)
    if t is None or key_times is None or not bitmap_fits(key_times):
        return (
            f"select {group}, count(*) as n from {{batch}} group by {group} having count(*) > 1",
            "grouped by the key",
        )
    series = [quote_ident(c) for c in key_series(src, files)]
    # Integers computed from the batch by batch_facts, written as literals because
    # bitstring_agg needs constant bounds (and GX query text takes no parameters).
    lo, unit, top = int(key_times.lo_us), int(key_times.unit_us), int(key_times.bits - 1)
    position = f"(epoch_us(b.{quote_ident(t)}) - {lo}) // {unit}"
    match = " and ".join(f"b.{c} is not distinct from f.{c}" for c in series)
    sql = (
        f"with flagged as (select {', '.join(f'b.{c}' for c in series)} from {{batch}} b "
        f"group by {', '.join(f'b.{c}' for c in series)} having count(*) <> "
        f"coalesce(bit_count(bitstring_agg({position}, 0, {top})), 0)) "
        f"select {', '.join(f'b.{quote_ident(c)}' for c in key_group(src, files))}, "
        f"count(*) as n from {{batch}} b semi join flagged f on {match} "
        f"group by {group} having count(*) > 1"
    )
    return sql, "series with a repeated time, by bitmap; then grouped by the key"
