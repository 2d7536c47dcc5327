"""Issue 19: instructions measured against the synthetic plant's labelled faults.

A seeded 7-day demo plant with labelled faults and the same plant generated with
``faults="none"``, each run night by night through the library entry points the nightly calls
(the last 3 nights), scored by twin_core.synth.scoring (definitions there and in the README).
bench/instruction_quality.py prints the same numbers per night.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from twin_core.ingest import ingest_landing
from twin_core.rebuild import rebuild_snapshot
from twin_core.report import build_reports
from twin_core.settings import Settings
from twin_core.synth.generator import generate
from twin_core.synth.scoring import NightScore, precision, recall, score_night
from twin_core.validation import validate_pending

pytestmark = pytest.mark.slow

DAYS, START, SEED, NIGHTS = 7, date(2026, 3, 2), 7, 3


def _nights(home: Path, faults: str) -> list[NightScore]:
    truth = generate(home, DAYS, START, SEED, faults=faults)  # type: ignore[arg-type]
    settings = Settings(home=home, timezone=truth.timezone)
    for d in (settings.landing_dir, settings.reports_dir, settings.validation_dir):
        d.mkdir(parents=True, exist_ok=True)
    last = START + timedelta(days=DAYS - 1)
    ingest_landing(settings)
    validate_pending(settings, as_of=last)
    out = []
    for n in range(NIGHTS - 1, -1, -1):
        as_of = last - timedelta(days=n)
        result = build_reports(settings, snapshot_id=rebuild_snapshot(settings, as_of))
        out.append(score_night(result.instructions, truth.faults, as_of, settings.horizon_days))
    return out


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> list[NightScore]:
    return _nights(tmp_path_factory.mktemp("iq-faults") / "home", "labelled")


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> list[NightScore]:
    return _nights(tmp_path_factory.mktemp("iq-clean") / "home", "none")


def test_priority_1_instructions_trace_to_injected_faults(labelled: list[NightScore]) -> None:
    p = precision(labelled)
    untraced = [u for s in labelled for u in s.untraced_p1]
    assert p is not None and p >= 0.90, untraced


def test_faults_that_need_action_get_an_instruction(labelled: list[NightScore]) -> None:
    assert sum(s.needing for s in labelled) > 0
    r = recall(labelled)
    missed = [m for s in labelled for m in s.missed]
    assert r is not None and r >= 0.95, missed


def test_a_fault_free_plant_gets_no_priority_1_quality_or_maintenance_item(
    clean: list[NightScore],
) -> None:
    assert [s.p1_quality_maintenance for s in clean] == [0] * NIGHTS, [
        u for s in clean for u in s.untraced_p1
    ]
