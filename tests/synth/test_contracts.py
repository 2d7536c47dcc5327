"""Every generated source satisfies the extract contract, apart from the labelled dirt."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from twin_core.contracts import MASTER_SOURCES, SOURCES, TRANSACTION_SOURCES
from twin_core.warehouse import connect

from .conftest import DAYS, START, Plant, read_raw

DELIVERED = [s for s in SOURCES if not SOURCES[s].optional]
# ERP delta extracts re-send a document when its status changes (created -> completed,
# ordered -> received): the later row is the current state, not dirt.
LIFECYCLE = {"work_orders", "purchase_orders"}


def test_master_sources_are_one_file_each(plant: Plant) -> None:
    """Each delivered master source arrives as a single file named after the source."""
    expected = {s: [f"{s}.csv"] for s in MASTER_SOURCES if not SOURCES[s].optional}
    found = {s: [p.name for p in plant.files(s)] for s in expected}
    assert found == expected


@pytest.mark.parametrize(
    "source",
    ["sensor_readings", "machine_events", "production", "inventory", "inspections", "defects"],
)
def test_daily_sources_have_one_file_per_day(plant: Plant, source: str) -> None:
    """Sources produced every day have a file for each day, named <source>_<date>.<ext>."""
    names = [p.name.split(".")[0] for p in plant.files(source)]
    expected = [f"{source}_{START + timedelta(days=d)}" for d in range(DAYS)]
    assert names == expected


@pytest.mark.parametrize("source", DELIVERED)
def test_files_carry_the_contract_columns_in_order(plant: Plant, source: str) -> None:
    """Every readable file has exactly the contract's columns, in contract order."""
    expected = list(SOURCES[source].column_names)
    for p in plant.files(source):
        if plant.rel(p) not in plant.malformed:
            assert read_raw(p).columns == expected, p.name


@pytest.mark.parametrize("source", DELIVERED)
def test_values_cast_to_contract_types(plant: Plant, source: str) -> None:
    """No value is lost when cast to its contract type (text that is not a number, date, ...)."""
    raw, typed = plant.raw(source), plant.get(source)
    lost = {
        c: int((raw[c].is_not_null() & typed[c].is_null()).sum())
        for c in SOURCES[source].column_names
    }
    assert lost == dict.fromkeys(SOURCES[source].column_names, 0)


@pytest.mark.parametrize("source", DELIVERED)
def test_required_columns_are_filled(plant: Plant, source: str) -> None:
    """Required columns are never empty."""
    df = plant.get(source)
    empty = {c: int(df[c].is_null().sum()) for c in SOURCES[source].required_columns}
    assert empty == dict.fromkeys(SOURCES[source].required_columns, 0)


def _rule_violations(df: pl.DataFrame, source: str) -> pl.DataFrame:
    conds = []
    for c in SOURCES[source].columns:
        col = pl.col(c.name)
        if c.type == "DOUBLE" and (c.min is not None or c.max is not None):
            conds.append(col.is_not_null() & ~col.is_finite())
        if c.min is not None:
            conds.append(col <= c.min if c.strict_min else col < c.min)
        if c.max is not None:
            conds.append(col >= c.max if c.strict_max else col > c.max)
        if c.allowed is not None:
            conds.append(col.is_not_null() & ~col.is_in(list(c.allowed)))
    if not conds:
        return df.clear().select("_file", "_row")
    return df.filter(pl.any_horizontal(conds).fill_null(False)).select("_file", "_row")


@pytest.mark.parametrize("source", DELIVERED)
def test_range_and_allowed_value_violations_are_exactly_the_labelled_ones(
    plant: Plant, source: str
) -> None:
    """Rows breaking a column rule (range, finite, allowed set) are the labelled invalid rows, no more."""
    found = _rule_violations(plant.get(source), source).sort("_file", "_row")
    labelled = plant.dirt_rows(source, "invalid_values").filter(
        pl.col("violation") != "outside_sensor_valid_range"
    )
    expected = labelled.select("_file", "_row").sort("_file", "_row")
    assert found.to_dicts() == expected.to_dicts()


@pytest.mark.parametrize("source", [s for s in DELIVERED if s not in LIFECYCLE])
def test_keys_repeat_only_where_dirt_is_labelled(plant: Plant, source: str) -> None:
    """A key appears twice only for a labelled duplicate or late correction."""
    df = plant.get(source)
    key = list(SOURCES[source].key)
    repeated = df.filter(pl.len().over(key) > 1).select("_file", "_row").sort("_file", "_row")
    d = plant.dirt_rows(source).filter(pl.col("kind").is_in(["duplicate_rows", "late_corrections"]))
    pairs = []
    for f in plant.truth.faults:
        if f.entities.get("source") == source and f.kind in ("duplicate_rows", "late_corrections"):
            for r in f.details["rows"]:
                pairs.append({"_file": r["file"], "_row": r["row"]})
                other = r.get("duplicate_of_row", r.get("original_row"))
                pairs.append({"_file": r.get("original_file", r["file"]), "_row": other})
    expected = (
        pl.DataFrame(pairs, schema={"_file": pl.String, "_row": pl.Int64}).sort("_file", "_row")
        if d.height
        else repeated.clear()
    )
    assert repeated.to_dicts() == expected.to_dicts()


@pytest.mark.parametrize("source", sorted(LIFECYCLE))
def test_status_resends_are_one_per_file_and_change_the_state(plant: Plant, source: str) -> None:
    """Work orders and POs are unique within a file; a re-send in a later file changes the status."""
    df = plant.get(source)
    key = list(SOURCES[source].key)
    assert df.filter(pl.len().over([*key, "_file"]) > 1).height == 0
    state = "status" if source == "work_orders" else "received_date"
    resent = df.filter(pl.len().over(key) > 1)
    changed = resent.group_by(key).agg(
        pl.col(state).n_unique().alias("states"), pl.len().alias("n")
    )
    assert changed.filter(pl.col("states") != pl.col("n")).height == 0


@pytest.mark.parametrize("source", DELIVERED)
def test_references_resolve_to_master_data(plant: Plant, source: str) -> None:
    """Every id that references master data exists there."""
    df = plant.get(source)
    missing = {}
    for c in SOURCES[source].columns:
        if c.references:
            known = plant.get(c.references[0])[c.references[1]].unique()
            missing[c.name] = (
                df.filter(~pl.col(c.name).is_in(known.implode()))[c.name].unique().to_list()
            )
    assert missing == {c.name: [] for c in SOURCES[source].columns if c.references}


@pytest.mark.parametrize("source", [s for s in DELIVERED if SOURCES[s].rules])
def test_row_rules_hold(plant: Plant, source: str) -> None:
    """Cross-column rules of the contract (end after start, lsl < usl, ...) hold on every row."""
    con = connect(":memory:")
    con.register("t", plant.get(source).drop("_file", "_row").to_arrow())
    broken = {
        r.name: con.execute(f"select count(*) from t where not ({r.predicate})").fetchone()[0]
        for r in SOURCES[source].rules
    }  # type: ignore[index]
    con.close()
    assert broken == {r.name: 0 for r in SOURCES[source].rules}


def test_transaction_sources_are_all_delivered(plant: Plant) -> None:
    """Every transaction source of the contract has files."""
    expected = {s: True for s in TRANSACTION_SOURCES}
    assert {s: bool(plant.files(s)) for s in TRANSACTION_SOURCES} == expected
