"""The watch replayed hour by hour on a seeded plant (twin_core.watch.driver), measured
against its ground truth: each injected quality fault alerted within one cycle of its first
detectable data landing, no alert on the fault-free plant, each finding alerted once, and the
nightly's word on each alert.

The replay covers the 2 days after the 3 warm-up days (the mean shift and the drift both
start in them); ``twin replay`` measures the whole plant (README, "Quality watch").
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from tests.watch.conftest import Plant
from twin_core.settings import Settings
from twin_core.warehouse import fetch_polars, open_warehouse
from twin_core.watch import run_watch
from twin_core.watch.driver import ReplayResult, replay
from twin_core.watch.measure import QUALITY_FAULTS, Measurement, measure

pytestmark = pytest.mark.slow

REPLAY_DAYS = 2
CLEAN_DAYS = 1


@pytest.fixture(scope="module")
def labelled_replay(
    labelled_plant: Plant, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Settings, ReplayResult, Measurement]]:
    settings = labelled_plant.home(tmp_path_factory.mktemp("replay-labelled"))
    result = replay(settings, labelled_plant.root, days=REPLAY_DAYS, warm=True)
    yield settings, result, measure(settings, labelled_plant.root, result)


def _alerts(settings: Settings) -> pl.DataFrame:
    with open_warehouse(settings) as con:
        return fetch_polars(con, "select * from history.quality_alerts order by first_seen")


def test_every_injected_quality_fault_is_alerted_within_one_cycle(
    labelled_replay: tuple[Settings, ReplayResult, Measurement],
) -> None:
    _, _, m = labelled_replay
    quality = [f for f in m.faults if f.kind in QUALITY_FAULTS]
    assert sorted(f.kind for f in quality) == sorted(QUALITY_FAULTS)
    assert m.unexplained == []
    for f in quality:
        assert f.first_detectable is not None, f
        assert f.alert_key is not None, f
        assert f.within_one_cycle, f


def test_the_drift_alert_comes_before_the_first_bad_lot(
    labelled_replay: tuple[Settings, ReplayResult, Measurement],
) -> None:
    """Pre-emptive: the drifting sensor is alerted before the shifted characteristic's first
    held lot."""
    _, _, m = labelled_replay
    by_kind = {f.kind: f for f in m.faults}
    drift, shift = by_kind["temperature_drift"], by_kind["quality_mean_shift"]
    assert drift.alerted_at is not None and shift.alerted_at is not None
    assert drift.alerted_at < shift.alerted_at


def test_each_finding_is_alerted_once(
    labelled_replay: tuple[Settings, ReplayResult, Measurement],
) -> None:
    """Later cycles see the drift again (last_seen moves on) but add no second alert; the
    alerts each cycle reports are new keys."""
    settings, result, _ = labelled_replay
    alerts = _alerts(settings)
    assert alerts["alert_key"].is_unique().all()
    reported = [k for h in result.hours for k in h.alerts]
    assert len(reported) == len(set(reported)) == alerts.height
    drift = alerts.filter(pl.col("kind") == "drift").row(0, named=True)
    assert drift["last_seen"] > drift["first_seen"]
    with open_warehouse(settings) as con:
        runs = fetch_polars(con, "select findings, alerts from history.watch_runs")
    assert runs["findings"].sum() > runs["alerts"].sum()


def test_a_cycle_with_nothing_new_alerts_nothing(
    labelled_replay: tuple[Settings, ReplayResult, Measurement],
) -> None:
    settings, _, _ = labelled_replay
    before = _alerts(settings).height
    result = run_watch(settings, lock_wait_s=0)
    assert result.cycle is not None and result.cycle.batches == []
    assert result.alerts == []
    assert _alerts(settings).height == before


def test_the_nightly_confirms_what_it_finds_too(
    labelled_replay: tuple[Settings, ReplayResult, Measurement],
) -> None:
    """After each day's nightly, the alerts about that day are confirmed (the snapshot has the
    same finding) or cleared; none about a covered day stays open."""
    settings, result, m = labelled_replay
    alerts = _alerts(settings)
    last_day = result.hours[-1].day
    cut = datetime.combine(last_day + timedelta(days=1), datetime.min.time())
    covered = alerts.filter(pl.col("data_ts") < cut)
    assert covered.height > 0
    assert set(covered["state"]) <= {"confirmed", "cleared"}
    by_kind = {f.kind: f for f in m.faults}
    for kind in QUALITY_FAULTS:
        key = by_kind[kind].alert_key
        row = alerts.filter(pl.col("alert_key") == key).row(0, named=True)
        assert row["state"] == "confirmed", row
        assert row["state_snapshot_id"] is not None


def test_the_nightly_clears_what_it_does_not_find(
    labelled_replay: tuple[Settings, ReplayResult, Measurement], tmp_path: Path
) -> None:
    """An open alert about a covered day that the snapshot does not reproduce is cleared."""
    from twin_core.watch import reconcile_alerts

    settings, result, _ = labelled_replay
    day = result.hours[-1].day
    with open_warehouse(settings) as con:
        snapshot = con.execute("select twin.current_snapshot()").fetchone()
        assert snapshot is not None
        con.execute(
            "insert into history.quality_alerts (alert_key, kind, lot_id, product_id, "
            "characteristic, rule, data_ts, first_seen, first_cycle, state) values "
            "('spc:P1:weight_g:LOT-NONE', 'spc', 'LOT-NONE', 'P1', 'weight_g', 'WE1', ?, ?, 1, "
            "'open')",
            [datetime.combine(day, datetime.min.time()), datetime.now()],
        )
        states = reconcile_alerts(con, settings, int(snapshot[0]))
        row = con.execute(
            "select state, state_snapshot_id from history.quality_alerts "
            "where alert_key = 'spc:P1:weight_g:LOT-NONE'"
        ).fetchone()
    assert states.cleared >= 1
    assert row == ("cleared", int(snapshot[0]))


def test_open_alerts_are_in_the_published_file(
    labelled_replay: tuple[Settings, ReplayResult, Measurement],
) -> None:
    """The watch's small publish carries its tables into plant.duckdb."""
    import duckdb

    settings, _, _ = labelled_replay
    warehouse = set(_alerts(settings)["alert_key"])
    con = duckdb.connect(str(settings.published_path), read_only=True)
    try:
        published = {
            r[0] for r in con.execute("select alert_key from twin.quality_alerts").fetchall()
        }
    finally:
        con.close()
    assert published and published <= warehouse


def test_no_alert_on_the_fault_free_plant(clean_plant: Plant, tmp_path: Path) -> None:
    settings = clean_plant.home(tmp_path)
    result = replay(settings, clean_plant.root, days=CLEAN_DAYS, warm=True)
    m = measure(settings, clean_plant.root, result)
    assert m.faults == []
    assert result.alerts == [], [a["alert_key"] for a in result.alerts]
    assert len(result.hours) == 24 * CLEAN_DAYS
