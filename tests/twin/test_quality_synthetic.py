"""Quality on the synthetic plant: the labelled mean shift, the temperature drift before it and
the revision with elevated complaints show in the twin.

The plant goes through the real path: generate -> ingest -> validate -> rebuild.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import polars as pl
import pytest

from twin_core.ingest import ingest_landing
from twin_core.rebuild import rebuild
from twin_core.settings import Settings
from twin_core.twin import quality
from twin_core.validation import validate_pending
from twin_core.warehouse import fetch_polars, open_warehouse

pytestmark = pytest.mark.slow

TABLES = ("spc_violations", "quality_drift", "lots_to_hold", "revision_flags")


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A 7-day synthetic plant ingested, validated and rebuilt as of its last day."""
    from twin_core.synth import generate

    home = tmp_path_factory.mktemp("synthetic") / "home"
    home.mkdir()
    truth = generate(home, days=7, seed=7)
    settings = Settings(home=home)
    ingest_landing(settings)
    validate_pending(settings)
    as_of = truth.start + timedelta(days=truth.days - 1)
    with open_warehouse(settings) as con:
        rebuild(con, settings, as_of, builder_list=[quality.build])
        yield {"truth": truth} | {t: fetch_polars(con, f"select * from twin.{t}") for t in TABLES}


def _first_shift_rule(twin: dict[str, Any]) -> datetime:
    """When a run rule first flagged the shifted characteristic after the shift began."""
    shift = twin["truth"].one("quality_mean_shift")
    rules = twin["spc_violations"].filter(
        (pl.col("product_id") == shift.entities["product_id"])
        & (pl.col("characteristic") == shift.entities["characteristic"])
        & (pl.col("chart") == "Xbar")
        & (pl.col("ts") >= shift.start)
    )
    assert rules.height > 0
    first: datetime = rules["ts"].min()  # type: ignore[assignment]
    return first


def test_mean_shift_is_caught_by_the_rules(twin: dict[str, Any]) -> None:
    """The shifted characteristic's X-bar chart fires within a day of the shift's start."""
    shift = twin["truth"].one("quality_mean_shift")
    assert _first_shift_rule(twin) < shift.start + timedelta(days=1)


def test_temperature_drift_is_flagged_before_the_shift_is_caught(twin: dict[str, Any]) -> None:
    """twin.quality_drift names the drifting machine's temperature and the shifted
    characteristic, first alarming after the drift began and before the first run rule."""
    drift = twin["truth"].one("temperature_drift")
    shift = twin["truth"].one("quality_mean_shift")
    rows = twin["quality_drift"].filter(
        (pl.col("machine_id") == drift.entities["machine_id"])
        & (pl.col("metric") == "temperature")
        & (pl.col("product_id") == shift.entities["product_id"])
        & (pl.col("characteristic") == shift.entities["characteristic"])
    )
    (row,) = rows.to_dicts()
    assert drift.start <= row["first_alarm_ts"] < _first_shift_rule(twin)
    assert row["direction"] == "up"


def test_lots_made_during_the_drift_are_held_before_any_rule(twin: dict[str, Any]) -> None:
    """Lots of the drifting machine are held for sensor_drift before the shift is caught."""
    drift = twin["truth"].one("temperature_drift")
    held = twin["lots_to_hold"].filter(
        (pl.col("reason") == "sensor_drift")
        & (pl.col("machine_id") == drift.entities["machine_id"])
        & (pl.col("flagged_at") < _first_shift_rule(twin))
    )
    assert held.height > 0
    assert all("temperature" in e for e in held["evidence"])


def test_complaint_revision_is_the_one_flagged_and_traced_to_its_line(twin: dict[str, Any]) -> None:
    """Only the labelled revision is flagged; its complaints trace first to the labelled line,
    and a word of the labelled symptom is among its themes."""
    fault = twin["truth"].one("complaint_revision")
    flagged = twin["revision_flags"].filter("flagged")
    assert flagged.select("product_id", "revision").rows() == [
        (fault.entities["product_id"], fault.entities["revision"])
    ]
    row = flagged.row(0, named=True)
    assert json.loads(row["lines"])[0] == fault.entities["line_id"]
    symptom = set(str(fault.details["symptom"]).split())
    assert symptom & set(json.loads(row["themes"]))
