"""The synthetic plant's dirty data, through generate -> ingest -> validate: every injected
fault ends where ground_truth.json says (quarantined under the right rule, or loaded)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from twin_core.ingest import ingest_landing
from twin_core.settings import Settings
from twin_core.synth import generate
from twin_core.synth.truth import GroundTruth
from twin_core.validation import BatchValidation, validate_pending
from twin_core.warehouse import open_warehouse

pytestmark = pytest.mark.slow

# The rule ground truth's violation must be quarantined under (validation stage).
RULE = {
    "not_finite": "expect_column_values_to_be_between:value",
    "below_min": "expect_column_values_to_be_between:{column}",
    "above_max": "expect_column_values_to_be_between:{column}",
}


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A 7-day synthetic plant with its faults, ingested and validated as of its last day."""
    home = tmp_path_factory.mktemp("dirty") / "home"
    home.mkdir()
    truth = generate(home, days=7, seed=7)
    settings = Settings(home=home)
    ingest_landing(settings)
    as_of = truth.start + timedelta(days=truth.days - 1)
    results = validate_pending(settings, as_of=as_of)
    with open_warehouse(settings, read_only=True) as con:
        quarantine = con.execute(
            'select stage, source, file, "row", rule from quality.quarantine'
        ).fetchall()
        yield {"truth": truth, "settings": settings, "results": results, "quarantine": quarantine}


def _rows(truth: GroundTruth, kind: str) -> list[dict[str, Any]]:
    return [dict(r) for f in truth.of_kind(kind) for r in f.details["rows"]]


def _landing(path: str) -> str:
    """Ground truth names files from the output folder (landing/...); ingest from landing/."""
    return path.removeprefix("landing/")


def _core(plant: dict[str, Any], source: str, key: dict[str, Any], column: str) -> list[Any]:
    where = " and ".join(f"{k}::varchar = ?" for k in key)
    # Ground truth writes timestamps ISO with a T; DuckDB's varchar of a timestamp has a space.
    values = [re.sub(r"^(\d{4}-\d{2}-\d{2})T", r"\1 ", str(v)) for v in key.values()]
    with open_warehouse(plant["settings"], read_only=True) as con:
        return [
            r[0]
            for r in con.execute(
                f"select {column} from core.{source} where {where}", values
            ).fetchall()
        ]


def test_the_batch_passes_with_quarantine(plant: dict[str, Any]) -> None:
    """One ingest batch, validated: dirty rows quarantined, nothing failed."""
    results: list[BatchValidation] = plant["results"]
    assert [r.status for r in results] == ["passed_with_quarantine"]


def test_each_invalid_value_is_quarantined_under_its_rule(plant: dict[str, Any]) -> None:
    """NaN, below-minimum and above-maximum values: quarantined by validation, rule named."""
    expected = {
        (
            "validation",
            r["file"].split("/")[1],
            _landing(r["file"]),
            r["row"],
            RULE[r["violation"]].format(column=r.get("column")),
        )
        for r in _rows(plant["truth"], "invalid_values")
        if r["violation"] in RULE
    }
    assert len(expected) == 3
    assert expected <= set(plant["quarantine"])


def test_each_duplicate_row_is_quarantined_once_and_one_copy_loaded(plant: dict[str, Any]) -> None:
    """An exact copy in the same file: the earlier row under unique_key, the later in core."""
    dups = _rows(plant["truth"], "duplicate_rows")
    expected = {
        (
            "validation",
            r["file"].split("/")[1],
            _landing(r["file"]),
            r["duplicate_of_row"],
            "unique_key",
        )
        for r in dups
    }
    assert expected <= set(plant["quarantine"])
    for r in dups:
        source = r["file"].split("/")[1]
        assert _core(plant, source, r["key"], "_row") == [r["row"]]


def test_late_corrections_replace_the_earlier_row_in_core(plant: dict[str, Any]) -> None:
    """The corrected value is in core; neither row is quarantined."""
    for r in _rows(plant["truth"], "late_corrections"):
        source = r["file"].split("/")[1]
        assert _core(plant, source, r["key"], r["column"]) == [r["corrected_value"]]
        assert (_landing(r["file"]), r["row"]) not in {(q[2], q[3]) for q in plant["quarantine"]}


def test_out_of_order_rows_are_loaded(plant: dict[str, Any]) -> None:
    """Valid rows delivered out of time order reach core untouched."""
    for r in _rows(plant["truth"], "out_of_order_rows"):
        source = r["file"].split("/")[1]
        assert _core(plant, source, r["key"], "_row") == [r["row"]]


def test_reading_beyond_the_sensor_valid_range_reaches_core_for_the_twin_to_flag(
    plant: dict[str, Any],
) -> None:
    """A physically impossible reading is the twin's to flag (sensor_status), not quarantined."""
    (r,) = [
        r
        for r in _rows(plant["truth"], "invalid_values")
        if r["violation"] == "outside_sensor_valid_range"
    ]
    assert _core(plant, "sensor_readings", r["key"], "value") == [r["value"]]


def test_malformed_file_is_quarantined_whole_by_ingest(plant: dict[str, Any]) -> None:
    """The cut-short file never reaches validation: one ingest quarantine row, row null."""
    (fault,) = plant["truth"].of_kind("malformed_file")
    rows = [q for q in plant["quarantine"] if q[2] == _landing(fault.entities["file"])]
    assert [(q[0], q[3]) for q in rows] == [("ingest", None)]


def test_nothing_else_is_quarantined_by_validation(plant: dict[str, Any]) -> None:
    """Validation quarantines exactly the injected faults: a clean plant stays clean."""
    injected = {
        (_landing(r["file"]), r["row"])
        for r in _rows(plant["truth"], "invalid_values")
        if r["violation"] in RULE
    } | {
        (_landing(r["file"]), r["duplicate_of_row"])
        for r in _rows(plant["truth"], "duplicate_rows")
    }
    found = {(q[2], q[3]) for q in plant["quarantine"] if q[0] == "validation"}
    assert found == injected
