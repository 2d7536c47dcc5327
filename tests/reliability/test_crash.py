"""The nightly killed (SIGKILL) inside each stage: the published file stays the last good one
and opens, nothing of the killed transaction is visible, the next run resumes, and the run
that completes equals an uninterrupted run, row for row.

To fit the suite's time budget the kills are chained on one copy of the pre-crash home
(night 1 published, night 2's files landed): night 2 is started with ``TWIN_CRASH_AT`` at
the first point, then again at the next point (so each run is also the rerun of the
previous kill and must get past it), and so on; then once without a fault. Checked after
every kill: the kill was a SIGKILL, ``plant.duckdb`` opens read-only and shows the last
published night, raw holds only whole files, and the stage's own writes are not visible.
Checked after the final run: every table equals the uninterrupted run's and no input row
is lost or doubled.
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from tests.reliability.conftest import DAY1, DAY2, Nightly, Reference, copy_home
from tests.reliability.faulttable import Fault, FaultTable
from tests.reliability.state import fingerprint, published_day, row_accounting
from twin_core.faults import POINTS, parse

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Case:
    point: str  # TWIN_CRASH_AT
    where: str
    published: str  # the day plant.duckdb shows right after the kill
    # A schema the killed run must leave as it found it ("" for none): the killed stage's
    # transaction writes it and nothing earlier in that run does.
    untouched: str = ""


# In nightly order. Publish's os.replace is its commit: before it the last good night shows.
CASES = (
    Case(
        "ingest.mid_file",
        "mid-ingest of the night's first file (sensor readings, 86,400-row CSV): rows "
        "inserted, uncommitted",
        DAY1.isoformat(),
        "raw",
    ),
    Case(
        "ingest.before_commit@3",
        "ingest, before the commit of the night's 3rd file (2 files committed)",
        DAY1.isoformat(),
    ),
    Case(
        "validate.before_promote",
        "validation, results computed, before any row is promoted",
        DAY1.isoformat(),
        "core",
    ),
    Case(
        "validate.mid_promote",
        "validation, one source promoted, the others not (uncommitted)",
        DAY1.isoformat(),
        "core",
    ),
    Case(
        "rebuild.before_commit",
        "rebuild, every history table written, uncommitted",
        DAY1.isoformat(),
        "history",
    ),
    Case("publish.before_swap", "publish, new file built, before the swap", DAY1.isoformat()),
    Case("publish.after_swap", "publish, right after the swap", DAY2.isoformat()),
)


@dataclass
class Kill:
    case: Case
    returncode: int
    output: str
    published: str | None
    changed: list[str]  # tables of case.untouched the killed run changed
    broken_files: list[str]
    orphans: int
    doubled: int
    missing: int


@dataclass
class Chain:
    kills: dict[str, Kill] = field(default_factory=dict)
    final_code: int = 0
    final_output: str = ""
    final_published: str | None = None
    differing: dict[str, tuple[object, object]] = field(default_factory=dict)
    tables: int = 0
    rows_lost: int = 0
    rows_doubled: int = 0
    leftovers: list[str] = field(default_factory=list)
    extra_snapshots: int = 0


def _in_schema(tables: dict[str, tuple[int, int]], schema: str) -> dict[str, tuple[int, int]]:
    return {t: v for t, v in tables.items() if t.startswith(f"{schema}.")}


def _snapshots(home: Path) -> int:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        row = con.execute("select count(*) from history.snapshots").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def _kill(home: Path, nightly: Nightly, case: Case) -> Kill:
    before = fingerprint(home / "warehouse.duckdb")
    done = nightly.run(home, DAY2, crash_at=case.point)
    after = fingerprint(home / "warehouse.duckdb")
    rows = row_accounting(home / "warehouse.duckdb")
    changed = []
    if case.untouched:
        old, new = _in_schema(before, case.untouched), _in_schema(after, case.untouched)
        changed = sorted(t for t in set(old) | set(new) if old.get(t) != new.get(t))
    return Kill(
        case,
        done.returncode,
        done.output,
        published_day(home / "plant.duckdb"),
        changed,
        rows.broken,
        rows.orphans,
        rows.doubled,
        rows.missing,
    )


def _record(table: FaultTable, kill: Kill, seconds: float) -> None:
    c = kill.case
    said = [
        "killed by SIGKILL"
        if kill.returncode == -signal.SIGKILL
        else f"NOT killed (exit {kill.returncode})",
        f"plant.duckdb opens read-only, shows {kill.published}",
    ]
    if c.untouched:
        said.append(
            f"{c.untouched}.* unchanged"
            if not kill.changed
            else f"CHANGED by the killed run: {', '.join(kill.changed)}"
        )
    said.append(
        "raw holds whole files only"
        if not (kill.broken_files or kill.orphans or kill.doubled)
        else f"PARTIAL files {kill.broken_files}, {kill.orphans} orphan rows, "
        f"{kill.doubled} doubled"
    )
    said.append("the next run resumed past it")
    table.add(
        Fault("crash", f"`{c.point}`: {c.where}", "; ".join(said), kill.missing, round(seconds, 1))
    )


@pytest.fixture(scope="module")
def chain(
    pre_crash_home: Path,
    reference: Reference,
    nightly: Nightly,
    fault_table: FaultTable,
    tmp_path_factory: pytest.TempPathFactory,
) -> Chain:
    home = copy_home(pre_crash_home, tmp_path_factory.mktemp("crash") / "home")
    out = Chain()
    for case in CASES:
        started = time.perf_counter()
        out.kills[case.point] = kill = _kill(home, nightly, case)
        _record(fault_table, kill, time.perf_counter() - started)
    started = time.perf_counter()
    final = nightly.run(home, DAY2)
    out.final_code, out.final_output = final.returncode, final.output
    out.final_published = published_day(home / "plant.duckdb")
    tables = fingerprint(home / "warehouse.duckdb")
    out.tables = len(tables)
    out.differing = {
        t: (tables.get(t), reference.tables.get(t))
        for t in sorted(set(tables) | set(reference.tables))
        if tables.get(t) != reference.tables.get(t)
    }
    rows = row_accounting(home / "warehouse.duckdb")
    out.rows_lost = max(reference.rows_read - rows.rows, 0)
    out.rows_doubled = rows.doubled + max(rows.rows - reference.rows_read, 0)
    out.leftovers = sorted(p.name for p in home.iterdir() if ".building" in p.name)
    out.extra_snapshots = _snapshots(home) - _snapshots(reference.home)
    said = [
        "completed" if out.final_code == 0 else f"FAILED (exit {out.final_code})",
        f"published {out.final_published}",
        f"all {out.tables} tables equal to the uninterrupted run (rows and checksums)"
        if not out.differing
        else f"{len(out.differing)} table(s) differ: {', '.join(out.differing)}",
        f"{reference.rows_read:,} input rows, {out.rows_doubled} doubled",
    ]
    if out.extra_snapshots:
        said.append(
            f"{out.extra_snapshots} earlier snapshot(s) of the day kept in history "
            "(each run after the rebuild's commit builds the day again)"
        )
    if out.leftovers:
        said.append(f"left behind: {', '.join(out.leftovers)}")
    fault_table.add(
        Fault(
            "crash",
            "rerun after all the kills above",
            "; ".join(said),
            out.rows_lost,
            round(time.perf_counter() - started, 1),
        )
    )
    return out


def test_every_crash_point_has_a_case() -> None:
    """A crash point added to twin_core.faults without a case here fails the suite."""
    expected = set(POINTS)
    assert {parse(c.point)[0] for c in CASES} == expected


@pytest.mark.parametrize("point", [c.point for c in CASES])
def test_the_nightly_dies_by_sigkill_at_the_point(chain: Chain, point: str) -> None:
    """TWIN_CRASH_AT kills the run where it says, not an error before it."""
    kill = chain.kills[point]
    assert kill.returncode == -signal.SIGKILL, kill.output[-3000:]


@pytest.mark.parametrize("point", [c.point for c in CASES])
def test_plant_duckdb_opens_and_shows_the_last_published_night(chain: Chain, point: str) -> None:
    """Right after the kill the published file opens read-only and shows the last good night
    (the new one only once publish's swap happened)."""
    kill = chain.kills[point]
    assert kill.published == kill.case.published


@pytest.mark.parametrize("point", [c.point for c in CASES if c.untouched])
def test_nothing_of_the_killed_transaction_is_visible(chain: Chain, point: str) -> None:
    """The schema the killed stage writes in its transaction is as the run found it."""
    assert chain.kills[point].changed == []


@pytest.mark.parametrize("point", [c.point for c in CASES])
def test_raw_holds_only_whole_files_after_the_kill(chain: Chain, point: str) -> None:
    """Every file the manifest records is whole in raw and quarantine, none is partly there."""
    kill = chain.kills[point]
    assert (kill.broken_files, kill.orphans, kill.doubled) == ([], 0, 0)


def test_the_final_run_completes_and_publishes_the_night(chain: Chain) -> None:
    """The nightly without a fault runs to the end and publishes night 2."""
    assert chain.final_code == 0, chain.final_output[-3000:]
    assert chain.final_published == DAY2.isoformat()


def test_the_final_run_equals_the_uninterrupted_run(chain: Chain) -> None:
    """Row counts and checksums of every raw, core, history, twin and report table match."""
    assert chain.differing == {}


def test_no_input_row_is_lost_or_doubled(chain: Chain) -> None:
    """Every row the files hold is in raw or ingest quarantine exactly once."""
    assert (chain.rows_lost, chain.rows_doubled) == (0, 0)


def test_no_half_built_published_file_is_left_behind(chain: Chain) -> None:
    """A publish killed before its swap leaves a half-built file; the next publish clears it."""
    assert chain.leftovers == []
