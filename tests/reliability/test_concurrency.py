"""Two nightlies started at the same moment on one TWIN_HOME: one runs, the other fails at
once naming it, and the warehouse is intact (the winner's night is the reference the crash
suite compares against, so a corrupted one would fail that suite too)."""

from __future__ import annotations

import pytest

from tests.reliability.conftest import DAY2, Reference
from tests.reliability.faulttable import Fault, FaultTable
from tests.reliability.state import published_day, row_accounting

pytestmark = pytest.mark.slow


def _message(output: str) -> str:
    """The CLI's one-line error, unwrapped (the console wraps it at the terminal width)."""
    flat = " ".join(output.split())
    return flat[flat.find("error:") :][:220] if "error:" in flat else flat[-220:]


@pytest.fixture(scope="module")
def race(reference: Reference, fault_table: FaultTable) -> Reference:
    loser = next((r for r in reference.runs if r.returncode != 0), None)
    rows = row_accounting(reference.home / "warehouse.duckdb")
    said = [
        "one ran to the end",
        "the other exited at once: " + _message(loser.output if loser else "NONE"),
        f"published {published_day(reference.home / 'plant.duckdb')}",
        "raw holds whole files only" if not rows.broken and not rows.doubled else "RAW BROKEN",
    ]
    fault_table.add(
        Fault(
            "concurrency",
            "two `twin nightly` started at once on one TWIN_HOME (`--wait 0`)",
            "; ".join(said),
            rows.missing,
            round(max(r.seconds for r in reference.runs), 1),
        )
    )
    return reference


def test_the_second_nightly_fails_at_once_naming_the_first(race: Reference) -> None:
    """The run that did not get the lock exits 2 with the lock message and the holder."""
    (loser,) = [r for r in race.runs if r.returncode != 0]
    assert loser.returncode == 4, loser.output[-2000:]  # busy (issue 25's exit codes)
    assert "is busy: nightly 2026-03-03" in loser.output


def test_the_loser_fails_before_the_winner_finishes(race: Reference) -> None:
    """Failing clearly means failing at once, not after queueing behind a whole nightly."""
    (winner,) = [r for r in race.runs if r.returncode == 0]
    (loser,) = [r for r in race.runs if r.returncode != 0]
    assert loser.seconds < winner.seconds


def test_the_warehouse_is_intact_after_the_race(race: Reference) -> None:
    """The night is published and every file is whole in raw, none doubled."""
    rows = row_accounting(race.home / "warehouse.duckdb")
    assert published_day(race.home / "plant.duckdb") == DAY2.isoformat()
    assert (rows.broken, rows.doubled, rows.orphans) == ([], 0, 0)
