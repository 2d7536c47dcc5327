"""The nightly killed (SIGKILL) at random moments, not only at the named crash points: after
every kill the published file opens on a night that was published and raw holds whole files
only; the run that completes equals an uninterrupted night 2, row for row.

The moments are drawn (seeded: ``TWIN_KILL_SEED``, default below, so a failure can be run
again) one from each of ``KILLS`` equal slices of the uninterrupted night's duration, so they
land early (ingest) as well as late (rebuild, publish). The kills are chained on one copy of
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


def _moments(total_s: float) -> list[float]:
    rng = random.Random(SEED)
    width = total_s / KILLS
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


@pytest.fixture(scope="module")
def chain(
    pre_crash_home: Path,
    reference: Reference,
    nightly: Nightly,
    fault_table: FaultTable,
    tmp_path_factory: pytest.TempPathFactory,
) -> Chain:
    home = copy_home(pre_crash_home, tmp_path_factory.mktemp("random-kills") / "home")
    (winner,) = [r for r in reference.runs if r.returncode == 0]
    out = Chain()
    for at_s in _moments(winner.seconds):
        started = time.perf_counter()
        kill = _kill_at(nightly, home, at_s)
        out.kills.append(kill)
        said = [
            "killed by SIGKILL"
            if kill.returncode == -signal.SIGKILL
            else f"finished before the kill (exit {kill.returncode})",
            f"plant.duckdb opens read-only, shows {kill.published}",
            "raw holds whole files only"
            if not (kill.broken_files or kill.orphans or kill.doubled)
            else f"PARTIAL files {kill.broken_files}, {kill.orphans} orphan rows, "
            f"{kill.doubled} doubled",
        ]
        fault_table.add(
            Fault(
                "kill",
                f"SIGKILL {at_s:.1f} s into night 2 (seed {SEED}; the uninterrupted run takes "
                f"{winner.seconds:.0f} s)",
                "; ".join(said),
                kill.missing,
                round(time.perf_counter() - started, 1),
            )
        )
    final = nightly.run(home, DAY2)
    out.final_code, out.final_output = final.returncode, final.output
    out.final_published = published_day(home / "plant.duckdb")
    tables = fingerprint(home / "warehouse.duckdb")
    out.differing = sorted(
        t for t in set(tables) | set(reference.tables) if tables.get(t) != reference.tables.get(t)
    )
    rows = row_accounting(home / "warehouse.duckdb")
    out.rows_lost = max(reference.rows_read - rows.rows, 0)
    out.rows_doubled = rows.doubled + max(rows.rows - reference.rows_read, 0)
    fault_table.add(
        Fault(
            "kill",
            "rerun after the random kills above",
            "; ".join(
                [
                    "completed" if out.final_code == 0 else f"FAILED (exit {out.final_code})",
                    f"published {out.final_published}",
                    f"all {len(tables)} tables equal to the uninterrupted run"
                    if not out.differing
                    else f"{len(out.differing)} table(s) differ: {', '.join(out.differing)}",
                    f"{reference.rows_read:,} input rows, {out.rows_doubled} doubled",
                ]
            ),
            out.rows_lost,
        )
    )
    return out


def test_every_kill_leaves_a_published_night_that_opens(chain: Chain) -> None:
    """Right after each kill plant.duckdb opens read-only and shows night 1 or night 2 (a
    kill after publish's swap), never nothing or a broken file."""
    assert [k.published in (DAY1.isoformat(), DAY2.isoformat()) for k in chain.kills] == [
        True
    ] * KILLS, chain.kills


def test_every_kill_leaves_raw_with_whole_files_only(chain: Chain) -> None:
    """No file is partly in raw and quarantine, none doubled, no rows without a manifest row."""
    assert [(k.broken_files, k.orphans, k.doubled) for k in chain.kills] == [([], 0, 0)] * KILLS


def test_the_kills_land_inside_the_run(chain: Chain) -> None:
    """At least one kill killed a running nightly (the moments are not all past its end)."""
    assert any(k.returncode == -signal.SIGKILL for k in chain.kills), chain.kills


def test_the_run_after_the_kills_equals_the_uninterrupted_run(chain: Chain) -> None:
    """Completed, published night 2, every table equal, no row lost or doubled."""
    assert chain.final_code == 0, chain.final_output[-3000:]
    assert chain.final_published == DAY2.isoformat()
    assert chain.differing == []
    assert (chain.rows_lost, chain.rows_doubled) == (0, 0)
