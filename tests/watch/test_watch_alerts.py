"""The watch's findings as alert rows (twin_core.sim.quality.watch_alerts): which firings hold a lot,
one key per finding, and what each kind of input gives."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest

from twin_core.sim.quality.watch_alerts import (
    ALERT_SCHEMA,
    WatchRules,
    corroborated,
    drift_findings,
    sensor_findings,
    spc_findings,
)

T0 = datetime(2026, 3, 5)
KEYS = {"product_id": "P1", "characteristic": "bore"}


def _violations(rows: list[tuple[int, str, str]]) -> pl.LazyFrame:
    """(lot position, chart, rule) firings of one series."""
    return pl.LazyFrame(
        [
            {
                **KEYS,
                "lot_id": f"LOT-{p:03d}",
                "ts": T0 + timedelta(hours=p),
                "chart": chart,
                "rule": rule,
                "value": 1.0,
                "in_baseline": False,
            }
            for p, chart, rule in rows
        ]
    )


def _positions(n: int) -> pl.LazyFrame:
    return pl.LazyFrame(
        [{**KEYS, "lot_id": f"LOT-{p:03d}", "position": p} for p in range(1, n + 1)]
    )


def _held(rows: list[tuple[int, str, str]], rules: WatchRules = WatchRules()) -> list[str]:
    out = corroborated(_violations(rows), _positions(40), rules).collect()
    return sorted(out["lot_id"].to_list())


def test_an_isolated_firing_holds_nothing() -> None:
    """One rule on one lot (the in-control false-alarm rate of the WE rules) is no hold."""
    assert _held([(30, "Xbar", "WE1")]) == []


def test_one_rule_repeating_on_a_run_is_not_corroborated() -> None:
    """WE4 flags each point of a long run on one side: one rule, however many lots."""
    assert _held([(30, "Xbar", "WE4"), (31, "Xbar", "WE4"), (32, "Xbar", "WE4")]) == []


def test_three_of_five_lots_with_two_rules_hold_from_the_third() -> None:
    rows = [(30, "Xbar", "WE2"), (32, "Xbar", "WE1"), (34, "Xbar", "WE2")]
    assert _held(rows) == ["LOT-034"]


def test_firings_outside_the_window_do_not_add_up() -> None:
    rows = [(20, "Xbar", "WE2"), (26, "Xbar", "WE1"), (34, "Xbar", "WE2")]
    assert _held(rows) == []


def test_a_single_rule_chart_needs_only_the_lots() -> None:
    """Dispersion and attribute charts are checked with rule 1 alone."""
    rows = [(30, "R", "WE1"), (31, "R", "WE1"), (33, "R", "WE1")]
    assert _held(rows) == ["LOT-033"]
    assert _held([(30, "p", "WE1"), (31, "p", "WE1"), (32, "p", "WE1")]) == ["LOT-032"]


def test_baseline_firings_are_never_held() -> None:
    frame = _violations([(3, "Xbar", "WE2"), (4, "Xbar", "WE1"), (5, "Xbar", "WE2")])
    frame = frame.with_columns(in_baseline=pl.lit(True))
    assert corroborated(frame, _positions(40), WatchRules()).collect().is_empty()


def test_rules_are_settable() -> None:
    assert _held([(30, "Xbar", "WE1")], WatchRules(min_lots=1, min_rules=1)) == ["LOT-030"]
    with pytest.raises(ValueError):
        WatchRules(window_lots=0)


def test_spc_findings_one_key_per_new_lot() -> None:
    rows = [(30, "Xbar", "WE2"), (31, "Xbar", "WE1"), (32, "Xbar", "WE2"), (33, "Xbar", "WE1")]
    firings = corroborated(_violations(rows), _positions(40), WatchRules())
    machines = pl.LazyFrame(
        [{**KEYS, "lot_id": f"LOT-{p:03d}", "machine_id": "M1"} for p in (30, 31, 32, 33)]
    )
    # Only lot 33 arrived in this cycle: lot 32 was judged before.
    new = pl.LazyFrame({"lot_id": ["LOT-033"]})
    out = spc_findings(firings, new, machines, WatchRules()).collect()
    assert out.schema == pl.Schema(ALERT_SCHEMA)
    assert out["alert_key"].to_list() == ["spc:P1:bore:LOT-033"]
    row = out.row(0, named=True)
    assert (row["machine_id"], row["rule"], row["kind"]) == ("M1", "WE1,WE2", "spc")
    assert "4 of the series' last 5 lots" in row["evidence"]


def _links(ewma: list[float]) -> pl.LazyFrame:
    return pl.LazyFrame(
        [
            {
                "record_id": f"R{i}",
                "machine_id": "M2",
                "metric": "temperature",
                "product_id": "P3",
                "characteristic": c,
                "lot_id": f"LOT-{i}",
                "start_ts": T0 + timedelta(hours=i),
                "end_ts": T0 + timedelta(hours=i, minutes=30),
                "value": 60.0,
                "baseline_mean": 50.0,
                "ewma": e,
                "ewma_limit": 1.0,
            }
            for i, e in enumerate(ewma)
            for c in ("bore", "flatness")
        ]
    )


def test_drift_one_finding_per_machine_metric_and_direction() -> None:
    new = pl.LazyFrame({"record_id": ["R1", "R2"]})
    out = drift_findings(_links([2.0, 2.1, 2.2]), new).collect()
    assert out["alert_key"].to_list() == ["drift:M2:temperature:up"]
    row = out.row(0, named=True)
    assert row["lot_id"] == "LOT-1"  # the first alarming lot of this cycle
    assert row["characteristic"] == "bore, flatness"
    assert row["data_ts"] == T0 + timedelta(hours=1, minutes=30)
    down = drift_findings(_links([-2.0]), pl.LazyFrame({"record_id": ["R0"]})).collect()
    assert down["alert_key"].to_list() == ["drift:M2:temperature:down"]


def test_drift_on_records_judged_before_is_no_finding() -> None:
    out = drift_findings(_links([2.0, 2.1]), pl.LazyFrame({"record_id": ["R9"]})).collect()
    assert out.is_empty()


def test_sensor_findings_skip_ok_sensors_and_key_by_fault_start() -> None:
    status = pl.LazyFrame(
        {
            "sensor_id": ["S1", "S2", "S3"],
            "machine_id": ["M1", "M1", "M2"],
            "status": ["ok", "stuck", "dropout"],
            "since": [None, T0, None],
            "evidence": ["ok", "stuck: reads 1.0", "dropout: no readings"],
        },
        schema_overrides={"since": pl.Datetime("us")},
    )
    out = sensor_findings(status).collect()
    assert out["alert_key"].to_list() == [
        "sensor:S2:stuck:2026-03-05T00:00:00",
        "sensor:S3:dropout:silent",
    ]
    assert out["rule"].to_list() == ["stuck", "dropout"]
