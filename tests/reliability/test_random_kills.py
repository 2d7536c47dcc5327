"""The nightly killed (SIGKILL) at random moments, not only at the named crash points: after
every kill the published file opens on a night that was published and raw holds whole files
only; the run that completes equals an uninterrupted night 2, row for row.

The moments are drawn (seeded: ``TWIN_KILL_SEED``, default below, so a failure can be run
again) one from each of ``KILLS`` equal slices of the first 80% of the uninterrupted night's
duration, so they land early (ingest) as well as late (validation, rebuild). The kills are chained on one copy of
the pre-crash home, as in test_crash.py: each run is also the rerun of the kill before it.
"""

from __future__ import annotations

import os
import random
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.reliability import runner
from tests.reliability.conftest import DAY1, DAY2, Nightly, Reference, copy_home
from tests.reliability.faulttable import Fault, FaultTable
from tests.reliability.state import fingerprint, published_day, row_accounting

pytestmark = pytest.mark.slow

KILLS = 4
SEED = int(os.environ.get("TWIN_KILL_SEED", "26"))


@dataclass(frozen=True)
class Kill:
    at_s: float  # seconds after the start
    returncode: int
    published: str | None
    broken_files: list[str]
    orphans: int
    doubled: int
    missing: int  # rows the manifest counts that are neither in raw nor in quarantine


@dataclass
class Chain:
    kills: list[Kill] = field(default_factory=list)
    final_code: int = 0
    final_output: str = ""
    final_published: str | None = None
    differing: list[str] = field(default_factory=list)
    rows_lost: int = 0
    rows_doubled: int = 0
    completed_homes: int = 0  # homes whose run finished before its kill (compared too)
    completed_published: list[str | None] = field(default_factory=list)


def _moments(total_s: float) -> list[float]:
    """One moment in each of KILLS equal slices of the first 80% of the night (the last
    seconds are publish's, which its named crash points already cover; and a run's length
    varies on a shared machine)."""
    rng = random.Random(SEED)
    width = 0.8 * total_s / KILLS
    return [round(rng.uniform(i * width, (i + 1) * width), 2) for i in range(KILLS)]


def _kill_at(nightly: Nightly, home: Path, at_s: float) -> Kill:
    proc, log, started = nightly.start(home, DAY2)
    proc.join(at_s)
    if proc.exitcode is None:
        proc.kill()  # SIGKILL
    done = runner.finish(proc, log, started, 600)
    rows = row_accounting(home / "warehouse.duckdb")
    return Kill(
        at_s,
        done.returncode,
        published_day(home / "plant.duckdb"),
        rows.broken,
        rows.orphans,
        rows.doubled,
        rows.missing,
    )


def _compare(home: Path, reference: Reference) -> tuple[list[str], int, int, int, str | None]:
    """Tables differing from the uninterrupted run, rows lost, rows doubled, table count and
    the published night, of a home whose night 2 completed."""
    tables = fingerprint(home / "warehouse.duckdb")
    differing = sorted(
        t for t in set(tables) | set(reference.tables) if tables.get(t) != reference.tables.get(t)
    )
    rows = row_accounting(home / "warehouse.duckdb")
    lost = max(reference.rows_read - rows.rows, 0)
    doubled = rows.doubled + max(rows.rows - reference.rows_read, 0)
    return differing, lost, doubled, len(tables), published_day(home / "plant.duckdb")


def _record_kill(table: FaultTable, kill: Kill, total_s: float, seconds: float) -> None:
    said = [
        "killed by SIGKILL"
        if kill.returncode == -signal.SIGKILL
        else f"the run finished first (exit {kill.returncode}): compared with the "
        "uninterrupted run, then the next kill starts on a fresh copy of the home",
        f"plant.duckdb opens read-only, shows {kill.published}",
        "raw holds whole files only"
        if not (kill.broken_files or kill.orphans or kill.doubled)
        else f"PARTIAL files {kill.broken_files}, {kill.orphans} orphan rows, "
        f"{kill.doubled} doubled",
    ]
    table.add(
        Fault(
            "kill",
            f"SIGKILL {kill.at_s:.1f} s into night 2 (seed {SEED}; an uninterrupted night 2 "
            f"took {total_s:.0f} s)",
            "; ".join(said),
            kill.missing,
            round(seconds, 1),
        )
    )


@pytest.fixture(scope="module")
def chain(
    pre_crash_home: Path,
    reference: Reference,
    nightly: Nightly,
    fault_table: FaultTable,
    tmp_path_factory: pytest.TempPathFactory,
) -> Chain:
    def fresh() -> Path:
        return copy_home(pre_crash_home, tmp_path_factory.mktemp("random-kills") / "home")

    (winner,) = [r for r in reference.runs if r.returncode == 0]
    out = Chain()
    home = fresh()
    for at_s in _moments(winner.seconds):
        # A rerun after kills has less left to do and may finish before the moment: then
        # that home is compared like a final run, and the kill is tried on a fresh home, at
        # half the moment each time (a run's length varies on a shared machine).
        for attempt in range(3):
            started = time.perf_counter()
            kill = _kill_at(nightly, home, round(at_s / 2**attempt, 2))
            out.kills.append(kill)
            _record_kill(fault_table, kill, winner.seconds, time.perf_counter() - started)
            if kill.returncode == -signal.SIGKILL:
                break
            differing, lost, doubled, _, day = _compare(home, reference)
            out.completed_published.append(day)
            out.differing += differing
            out.rows_lost += lost
            out.rows_doubled += doubled
            out.completed_homes += 1
            home = fresh()
    final = nightly.run(home, DAY2)
    out.final_code, out.final_output = final.returncode, final.output
    differing, lost, doubled, n_tables, out.final_published = _compare(home, reference)
    out.differing += differing
    out.rows_lost += lost
    out.rows_doubled += doubled
    fault_table.add(
        Fault(
            "kill",
            "rerun after the random kills above",
            "; ".join(
                [
                    "completed" if out.final_code == 0 else f"FAILED (exit {out.final_code})",
                    f"published {out.final_published}",
                    f"all {n_tables} tables equal to the uninterrupted run"
                    if not out.differing
                    else f"{len(out.differing)} table(s) differ: {', '.join(out.differing)}",
                    f"{reference.rows_read:,} input rows, {out.rows_doubled} doubled",
                ]
            )
            + (
                f" (also every one of the {out.completed_homes} home(s) whose run finished "
                "before its kill)"
                if out.completed_homes
                else ""
            ),
            out.rows_lost,
        )
    )
    return out


def test_every_kill_leaves_a_published_night_that_opens(chain: Chain) -> None:
    """Right after each kill plant.duckdb opens read-only and shows night 1 or night 2 (a
    kill after publish's swap), never nothing or a broken file."""
    published = [k.published for k in chain.kills]
    assert all(day in (DAY1.isoformat(), DAY2.isoformat()) for day in published), published


def test_every_kill_leaves_raw_with_whole_files_only(chain: Chain) -> None:
    """No file is partly in raw and quarantine, none doubled, no rows without a manifest row."""
    states = [(k.broken_files, k.orphans, k.doubled, k.missing) for k in chain.kills]
    assert states == [([], 0, 0, 0)] * len(chain.kills)


def test_every_moment_killed_a_running_nightly(chain: Chain) -> None:
    """Each drawn moment killed a nightly in progress (on a fresh home, earlier, if the chained
    one finished first)."""
    assert sum(k.returncode == -signal.SIGKILL for k in chain.kills) == KILLS, chain.kills


def test_the_run_after_the_kills_equals_the_uninterrupted_run(chain: Chain) -> None:
    """Completed, published night 2, every table equal, no row lost or doubled."""
    assert chain.final_code == 0, chain.final_output[-3000:]
    assert chain.final_published == DAY2.isoformat()
    assert chain.completed_published == [DAY2.isoformat()] * chain.completed_homes
    assert chain.differing == []
    assert (chain.rows_lost, chain.rows_doubled) == (0, 0)
