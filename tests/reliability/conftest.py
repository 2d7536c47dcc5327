"""Fixtures of the reliability suite: a small plant, a home after night 1 (published) with
night 2's files landed, the uninterrupted night 2 to compare against, and the fault table.

Everything expensive is built once per session and copied per case (``shutil.copytree``):
generating the plant, night 1, and the reference night 2. Nightlies run as ``twin nightly``
child processes of a warm forkserver (``runner.py``) against the session's Prefect API
(``PREFECT_API_URL``), so none of them imports Prefect and GX again or starts a server.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from multiprocessing.context import ForkServerContext
from pathlib import Path

import pytest

from tests.reliability import runner
from tests.reliability.faulttable import FaultTable
from tests.reliability.state import fingerprint, row_accounting
from twin_core.synth import generate

REPO = Path(__file__).resolve().parents[2]
DAY1 = date(2026, 3, 2)
DAY2 = DAY1 + timedelta(days=1)


@dataclass(frozen=True)
class Plant:
    """Generated extracts: master files and the files of each day, relative to landing/."""

    landing: Path
    day_files: dict[date, list[Path]]
    master_files: list[Path]


@dataclass(frozen=True)
class Reference:
    """The uninterrupted night 2 on the pre-crash home."""

    home: Path
    tables: dict[str, tuple[int, int]]
    rows_read: int
    runs: tuple[runner.Done, ...]  # the two nightlies started at once


@dataclass(frozen=True)
class Nightly:
    """Runs ``twin nightly`` in child processes of one warm forkserver (see runner.py)."""

    ctx: ForkServerContext
    env: dict[str, str]
    logs: Path

    def start(
        self, home: Path, as_of: date, *, crash_at: str | None = None, wait_s: int = 0
    ) -> tuple[multiprocessing.process.BaseProcess, Path, float]:
        env = dict(self.env, TWIN_HOME=str(home))
        if crash_at:
            env["TWIN_CRASH_AT"] = crash_at
        log = self.logs / f"{uuid.uuid4().hex[:8]}-{as_of}-{crash_at or 'run'}.log"
        argv = ["nightly", "--as-of", as_of.isoformat(), "--wait", str(wait_s)]
        return runner.start(self.ctx, argv, env, home, log), log, time.perf_counter()

    def run(
        self, home: Path, as_of: date, *, crash_at: str | None = None, timeout: float = 600
    ) -> runner.Done:
        """``twin nightly --as-of`` on ``home`` (``crash_at``: TWIN_CRASH_AT), to its end."""
        proc, log, started = self.start(home, as_of, crash_at=crash_at)
        done = runner.finish(proc, log, started, timeout)
        # Shown with -s (or on failure): where the suite's time goes.
        print(f"twin nightly --as-of {as_of} {crash_at or ''}: {done.seconds:.1f} s")
        return done


def land(plant: Plant, home: Path, files: list[Path]) -> None:
    """Copy generated extracts into ``home``'s landing folder, as the upstream systems would."""
    for rel in files:
        target = home / "landing" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(plant.landing / rel, target)


@pytest.fixture(scope="session")
def nightly(prefect_api: None, tmp_path_factory: pytest.TempPathFactory) -> Nightly:
    """Nightlies against the session's Prefect API, with a private PREFECT_HOME and no
    TWIN_* settings of the caller."""
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "TWIN_"))}
    env.update(
        PREFECT_API_URL=str(PREFECT_API_URL.value()),
        PREFECT_HOME=str(tmp_path_factory.mktemp("prefect-home")),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PYTHONPATH=str(REPO),
    )
    return Nightly(runner.context(env), env, tmp_path_factory.mktemp("nightly-logs"))


@pytest.fixture(scope="session")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Plant:
    """Two demo days at 60 sensors; sensor readings as CSV (86,400 rows a day: the large file
    the ingest crash lands in)."""
    out = tmp_path_factory.mktemp("plant")
    generate(
        out, days=2, start=DAY1, seed=7, sensors=60, period_s=60, formats={"sensor_readings": "csv"}
    )
    landing = out / "landing"
    files = sorted(p.relative_to(landing) for p in landing.rglob("*") if p.is_file())
    day_files: dict[date, list[Path]] = {DAY1: [], DAY2: []}
    master: list[Path] = []
    for rel in files:
        for day in day_files:
            if day.isoformat() in rel.name:
                day_files[day].append(rel)
                break
        else:
            master.append(rel)
    return Plant(landing, day_files, master)


@pytest.fixture(scope="session")
def pre_crash_home(
    plant: Plant, nightly: Nightly, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A home after night 1 (ingested, validated, rebuilt, published) with night 2's files
    landed and not yet ingested. Tests copy it; never write to it."""
    home = tmp_path_factory.mktemp("pre-crash") / "home"
    land(plant, home, plant.master_files + plant.day_files[DAY1])
    done = nightly.run(home, DAY1)
    assert done.returncode == 0, done.output
    land(plant, home, plant.day_files[DAY2])
    return home


def copy_home(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


@pytest.fixture(scope="session")
def reference(
    pre_crash_home: Path, nightly: Nightly, tmp_path_factory: pytest.TempPathFactory
) -> Reference:
    """Night 2 without any fault, on a copy of the pre-crash home. It is started twice at
    the same moment, the second copy not allowed to wait: the run that gets the TWIN_HOME
    lock is the uninterrupted night, the other must fail at once (test_concurrency.py)."""
    home = copy_home(pre_crash_home, tmp_path_factory.mktemp("reference") / "home")
    started = [nightly.start(home, DAY2, wait_s=0) for _ in range(2)]
    runs = tuple(runner.finish(proc, log, t0, 600) for proc, log, t0 in started)
    winners = [r for r in runs if r.returncode == 0]
    assert len(winners) == 1, "\n\n".join(r.output[-2000:] for r in runs)
    read = row_accounting(home / "warehouse.duckdb").rows
    return Reference(home, fingerprint(home / "warehouse.duckdb"), read, runs)


@pytest.fixture(scope="session")
def fault_table() -> Iterator[FaultTable]:
    """Collects one row per fault; written when the session ends (see faulttable.py)."""
    table = FaultTable()
    yield table
    table.write()
