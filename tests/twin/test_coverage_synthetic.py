"""Data coverage on the synthetic plant (issue 18), through the real path: generate -> ingest
-> validate -> rebuild (the coverage gate on) -> report.

* The injected sensor dropouts of ground_truth.json are exactly the readings the coverage rows
  find missing: on the dropout's day its line expects ``missing_samples`` more readings than it
  found, and every other line finds all it expects.
* One line's sensors silent for the last 10 hours of the as-of day: that line's sensor coverage
  is partial (14 of 24 hours), no other line's is; exactly that line's machines carry
  ``coverage = 'partial'`` in history.machine_health; and the maintenance items about their
  sensors are one "check the data link of line L" item, saying its input is partial.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from twin_core.ingest import ingest_landing
from twin_core.rebuild import rebuild_snapshot
from twin_core.report import Instruction, build_reports
from twin_core.settings import Settings
from twin_core.sim.calendar import day_end_utc
from twin_core.synth.generator import generate
from twin_core.synth.truth import GroundTruth
from twin_core.validation import validate_pending
from twin_core.warehouse import fetch_polars

pytestmark = pytest.mark.slow

DAYS, START, SEED = 7, date(2026, 3, 2), 7
LAST = START + timedelta(days=DAYS - 1)
SILENT_HOURS = 10


@dataclass(frozen=True)
class Built:
    settings: Settings
    truth: GroundTruth
    snapshot_id: int
    machine_line: dict[str, str]

    def frame(self, sql: str, *params: object) -> pl.DataFrame:
        """Rows of a query whose first parameter is this snapshot's id."""
        con = duckdb.connect(str(self.settings.warehouse_path), read_only=True)
        try:
            return fetch_polars(con, sql, [self.snapshot_id, *params])
        finally:
            con.close()


def _build(home: Path, before_ingest: str | None = None) -> Built:
    """Generate the plant into ``home``; silence line ``before_ingest``'s sensors for the last
    SILENT_HOURS of LAST in its landing file; ingest, validate, rebuild LAST with the gate on."""
    generate(home, DAYS, START, SEED)
    # The answer key as a user has it: the file the generator wrote.
    truth = GroundTruth.model_validate_json((home / "ground_truth.json").read_text())
    machines = pl.read_csv(home / "landing" / "machines" / "machines.csv")
    machine_line = dict(zip(machines["machine_id"], machines["line_id"], strict=True))
    if before_ingest is not None:
        path = home / "landing" / "sensor_readings" / f"sensor_readings_{LAST}.parquet"
        cut = day_end_utc(LAST, truth.timezone) - timedelta(hours=SILENT_HOURS)
        readings = pl.read_parquet(path)
        prefix = [m + "-" for m, line in machine_line.items() if line == before_ingest]
        silenced = pl.any_horizontal(pl.col("sensor_id").str.starts_with(p) for p in prefix)
        kept = readings.filter(~(silenced & (pl.col("ts") >= cut)))
        assert kept.height < readings.height
        kept.write_parquet(path)
    settings = Settings(home=home, timezone=truth.timezone)
    for d in (settings.landing_dir, settings.reports_dir, settings.validation_dir):
        d.mkdir(parents=True, exist_ok=True)
    ingest_landing(settings)
    validate_pending(settings, as_of=LAST)
    # allow_partial=False: the gate passes (partial is not missing), as in a nightly.
    snapshot_id = rebuild_snapshot(settings, LAST, allow_partial=False)
    return Built(settings, truth, snapshot_id, machine_line)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build(tmp_path_factory.mktemp("coverage-clean") / "home")


@pytest.fixture(scope="module")
def silent(tmp_path_factory: pytest.TempPathFactory) -> tuple[Built, str]:
    """The plant with line L1 (5 machines, 20 sensors) silent from 14:00 of the last day."""
    home = tmp_path_factory.mktemp("coverage-silent") / "home"
    return _build(home, before_ingest="L1"), "L1"


def _sensor_rows(built: Built, day: date) -> pl.DataFrame:
    return built.frame(
        "select line_id, rows, expected_rows, completeness, status, reason "
        "from history.data_coverage where snapshot_id = ? and source = 'sensor_readings' "
        "and day = ? order by line_id nulls last",
        day,
    )


def test_coverage_rows_find_exactly_the_injected_dropouts_of_ground_truth(clean: Built) -> None:
    dropouts = clean.truth.of_kind("sensor_dropout")
    assert dropouts, "the generator injected no sensor dropout"
    for fault in dropouts:
        day = fault.start.date()
        line = clean.machine_line[fault.entities["machine_id"]]
        rows = _sensor_rows(clean, day)
        assert rows.height > 1, f"no sensor coverage rows for {day}"
        by_line = {r["line_id"]: r for r in rows.iter_rows(named=True)}
        missing = int(fault.details["missing_samples"])
        hit = by_line[line]
        assert hit["expected_rows"] - hit["rows"] == missing
        assert hit["completeness"] == pytest.approx(hit["rows"] / hit["expected_rows"])
        for other, r in by_line.items():
            if other not in (line, None):
                assert r["rows"] == r["expected_rows"], (other, r)
        site = by_line[None]
        assert site["expected_rows"] - site["rows"] == missing
        # 300 of ~23,000 is under the 10% the policy allows: partial only below 90%.
        assert hit["status"] == "ok"
        machine = fault.entities["machine_id"]
        # One machine short: the reason names it and its count, and no "and N more" tail.
        assert f"machine {machine}: 1 sensor(s) short" in hit["reason"]
        assert "more" not in hit["reason"]


def test_a_clean_as_of_day_is_ok_everywhere_and_not_degraded(clean: Built) -> None:
    rows = _sensor_rows(clean, LAST)
    assert set(rows["status"]) == {"ok"}
    flags = clean.frame("select degraded from history.snapshots where snapshot_id = ?")
    assert flags["degraded"].to_list() == [False]


def test_one_silent_line_is_partial_for_exactly_its_machines(silent: tuple[Built, str]) -> None:
    built, line = silent
    rows = _sensor_rows(built, LAST)
    by_line = {r["line_id"]: r for r in rows.iter_rows(named=True)}
    hit = by_line[line]
    assert hit["status"] == "partial"
    # Silent for 10 of its 24 hours: 14/24 of the readings expected.
    assert hit["rows"] == pytest.approx(hit["expected_rows"] * (24 - SILENT_HOURS) / 24)
    assert "silent since" in hit["reason"]
    others = {k: r["status"] for k, r in by_line.items() if k not in (line, None)}
    assert others and set(others.values()) == {"ok"}
    health = built.frame(
        "select machine_id, coverage from history.machine_health where snapshot_id = ?"
    )
    partial = set(health.filter(pl.col("coverage") == "partial")["machine_id"])
    assert partial == {m for m, ln in built.machine_line.items() if ln == line}
    assert set(health.filter(pl.col("coverage") != "partial")["coverage"]) == {"ok"}
    degraded = built.frame(
        "select degraded, degraded_reasons from history.snapshots where snapshot_id = ?"
    ).row(0)
    assert degraded[0] is True and f"line {line}" in degraded[1]


def test_one_silent_line_gives_one_sensor_instruction_saying_its_input_is_partial(
    silent: tuple[Built, str],
) -> None:
    built, line = silent
    result = build_reports(built.settings, snapshot_id=built.snapshot_id)
    items = [Instruction(**row) for row in result.instructions]
    mine = {m for m, ln in built.machine_line.items() if ln == line}

    def about_sensors_of_the_line(i: Instruction) -> bool:
        cause = (i.cause_id or "").partition(":")[2]
        on_line = i.line_id == line or cause == line or cause in mine or i.entity_id in mine
        return i.department == "maintenance" and on_line and i.source == "history.sensor_status"

    sensor_items = [i for i in items if about_sensors_of_the_line(i)]
    assert [(i.kind, i.entity_id) for i in sensor_items] == [("line_data_link", line)]
    assert sensor_items[0].reason.endswith(
        f"(partial input: sensor_readings line {line} 58% complete)"
    )
