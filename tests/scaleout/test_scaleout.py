"""Scale-out on real parts (issue 24): a PostgreSQL 15 started in a temporary folder, a real
``prefect server`` on it, two ``prefect worker`` processes on the pool ``twin-sites``, three
generated sites; everything started by ``scripts/server.sh`` as ``make server DB=postgres``
does. The nightly runs as ``twin nightly`` against that API (the user's command).

The tests share one cluster and run in order: the fan-out night; the same night again with
the worker running a site killed (SIGKILL, with its flow-run process, as a lost host); the
next night with one site's data missing, while a second enterprise nightly is refused by the
``twin-enterprise`` concurrency limit.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path("/usr/lib/postgresql/15/bin/initdb").exists(),
        reason="needs PostgreSQL 15 (apt-get install postgresql-15; .ci/run installs it)",
    ),
]

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / ".venv" / "bin"
NIGHT = date(2026, 3, 3)
NEXT_NIGHT = date(2026, 3, 4)
SITES = ["S1", "S2", "S3"]
GENERATE = ("--sites", "3", "--days", "3", "--faults", "none")
# Twin tables compared between an uninterrupted and a crashed-then-rerun night.
COMPARED = ("machine_day", "supplier_performance", "material_status", "capability")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    root: Path
    home: Path
    env: dict[str, str]
    api: str

    def server(self, *args: str) -> str:
        done = subprocess.run(
            [str(REPO / "scripts" / "server.sh"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def nightly(self, day: date, *extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(BIN / "twin"), "nightly", "--as-of", day.isoformat(), *extra],
            env=self.env | {"PREFECT_API_URL": self.api},
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def site_runs(self) -> list[Any]:
        from prefect.client.orchestration import SyncPrefectClient
        from prefect.client.schemas.filters import FlowFilter, FlowFilterName

        with SyncPrefectClient(self.api) as client:
            return client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=["site-nightly"]))
            )


def _finish(proc: subprocess.Popen[str], timeout: float = 900) -> str:
    out, _ = proc.communicate(timeout=timeout)
    return out


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    # Not pytest's tmp_path: PostgreSQL runs as the postgres user when the tests run as root,
    # and pytest's folders are private to the user.
    root = Path(tempfile.mkdtemp(prefix="twin-scaleout-", dir="/tmp"))
    root.chmod(0o755)
    home = root / "home"
    gen = subprocess.run(
        [str(BIN / "twin"), "generate", "--out", str(home), *GENERATE],
        capture_output=True,
        text=True,
        cwd=root,
    )
    assert gen.returncode == 0, gen.stdout + gen.stderr
    # S3's extracts of the third day are held back (the missing-site night lands the others).
    held = root / "held-S3"
    for f in (home / "sites" / "S3" / "landing").glob(f"*/*{NEXT_NIGHT.isoformat()}*"):
        (held / f.parent.name).mkdir(parents=True, exist_ok=True)
        f.rename(held / f.parent.name / f.name)
    for site in ("S1", "S2"):
        for f in (home / "sites" / site / "landing").glob(f"*/*{NEXT_NIGHT.isoformat()}*"):
            dest = root / f"held-{site}" / f.parent.name
            dest.mkdir(parents=True, exist_ok=True)
            f.rename(dest / f.name)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "TWIN_"))} | {
        "PREFECT_HOME": str(root / "prefect"),
        "PREFECT_PORT": str(port),
        "TWIN_HOME": str(home),
        "TWIN_SERVER_DB": "postgres",
        "TWIN_PG_DIR": str(root / "pg"),
        "TWIN_PG_PORT": str(_free_port()),
        "TWIN_SITE_WORKERS": "2",
        "TWIN_DEPLOYMENTS": "site-nightly,enterprise-publish",
        "TWIN_PENDING_TIMEOUT_S": "120",
    }
    c = Cluster(root, home, env, f"http://127.0.0.1:{port}/api")
    try:
        c.server("start")
        yield c
    finally:
        subprocess.run([str(REPO / "scripts" / "server.sh"), "stop"], env=env, timeout=120)
        shutil.rmtree(root, ignore_errors=True)


def _twin_rows(path: Path, table: str, site: str) -> list[tuple[Any, ...]]:
    """The site's rows of ``twin.<table>`` without the snapshot's id and time; floats to 12
    significant digits (DuckDB's parallel sums may add in another order on a rerun: the last
    bit of a mean can differ, nothing more)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        cols = [
            r[0]
            for r in con.execute(f"describe twin.{table}").fetchall()
            if r[0] not in ("snapshot_id", "created_at")
        ]
        sel = ", ".join(f'"{c}"' for c in cols)
        if "site_id" not in cols:  # a site's own file: every row is the site's
            rows = con.execute(f"select {sel} from twin.{table} order by all").fetchall()
        else:
            rows = con.execute(
                f"select {sel} from twin.{table} where site_id = ? order by all", [site]
            ).fetchall()
    finally:
        con.close()
    return [tuple(float(f"{v:.12g}") if isinstance(v, float) else v for v in r) for r in rows]


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            found.append(c)
            todo.append(c)
    return found


def test_the_nightly_fans_out_one_site_run_per_site_onto_the_pool(cluster: Cluster) -> None:
    out = _finish(cluster.nightly(NIGHT))
    assert "publish completed" in out, out
    runs = [r for r in cluster.site_runs() if r.name.endswith(NIGHT.isoformat())]
    assert sorted(r.name for r in runs) == [f"site-{s}-{NIGHT}" for s in SITES]
    assert all(r.state.is_completed() for r in runs), [(r.name, r.state) for r in runs]
    assert {r.work_pool_name for r in runs} == {"twin-sites"}

    ent = cluster.home / "plant.duckdb"
    con = duckdb.connect(str(ent), read_only=True)
    try:
        # Cross-site answers: every supplier is shared by the three sites; a product revision
        # built at every site has its feedback from each; OEE per site.
        suppliers = con.execute(
            "select supplier_id, sites, received_pos from twin.supplier_performance_sites"
        ).fetchall()
        assert suppliers and all(s == 3 for _, s, _ in suppliers)
        p1a = con.execute(
            "select sites, units_shipped, [x.site_id for x in per_site] "
            "from twin.revision_feedback_sites where product_id = 'P1' and revision = 'A'"
        ).fetchone()
        assert p1a is not None and p1a[0] == 3 and p1a[2] == SITES and p1a[1] > 0
        oee = con.execute("select distinct site_id from twin.oee_by_site order by 1").fetchall()
        assert [r[0] for r in oee] == SITES
        sites = con.execute(
            "select site_id, as_of, stale from twin.sites order by site_id"
        ).fetchall()
        assert sites == [(s, NIGHT, False) for s in SITES]
        # twin.snapshots: the site snapshot each part comes from.
        parts = con.execute(
            "select site_id, snapshot_id from twin.snapshots where in_enterprise order by 1"
        ).fetchall()
        assert [p[0] for p in parts] == SITES
        machines = con.execute(
            "select site_id, count(distinct machine_id) from twin.machine_day group by 1 order by 1"
        ).fetchall()
        assert [m[0] for m in machines] == SITES and machines[1][1] > machines[0][1]  # own lines
    finally:
        con.close()
    # Keep the uninterrupted night's site results for the killed-worker case.
    for s in SITES:
        shutil.copy(
            cluster.home / "sites" / s / "plant.duckdb", cluster.root / f"night1-{s}.duckdb"
        )


def test_a_site_whose_worker_is_killed_is_run_again_with_the_same_result(
    cluster: Cluster,
) -> None:
    from prefect.client.schemas.objects import StateType

    before = {r.id for r in cluster.site_runs()}
    proc = cluster.nightly(NIGHT)
    # Wait for a site run to be RUNNING for a few seconds on a worker, then kill that worker
    # and its flow-run process with SIGKILL (no cleanup runs: a lost host).
    victim = None
    deadline = time.monotonic() + 300
    while victim is None and time.monotonic() < deadline:
        time.sleep(1)
        for r in cluster.site_runs():
            if r.id in before or r.state is None or r.state.type != StateType.RUNNING:
                continue
            if r.start_time and time.time() - r.start_time.timestamp() > 4:
                victim = r
                break
    assert victim is not None, "no site run started"
    run_dir = cluster.root / "prefect" / "run"
    killed = False
    for pidfile in run_dir.glob("site-worker-*.pid"):
        pid = int(pidfile.read_text())
        engines = _descendants(pid)
        log = (run_dir / f"{pidfile.stem}.log").read_text()
        if str(victim.id) in log and engines:
            for p in [pid, *engines]:
                os.kill(p, signal.SIGKILL)
            killed = True
            break
    assert killed, "found no worker running the site"
    out = _finish(proc)
    assert "publish completed" in out, out
    site = victim.name.split("-")[1]
    assert f"site {site}: run {victim.id} CRASHED" in out, out
    runs = {r.id: r for r in cluster.site_runs()}
    assert runs[victim.id].state.type == StateType.CRASHED
    again = [
        r
        for r in runs.values()
        if r.id not in before and r.name.startswith(f"site-{site}-{NIGHT}-attempt")
    ]
    assert again and all(r.state.is_completed() for r in again)
    # The site's twin equals the uninterrupted night's (same data, same seed).
    for table in COMPARED:
        assert _twin_rows(cluster.home / "sites" / site / "plant.duckdb", table, site) == (
            _twin_rows(cluster.root / f"night1-{site}.duckdb", table, site)
        ), table
    # The enterprise file holds the rerun's snapshot of that site.
    con = duckdb.connect(str(cluster.home / "plant.duckdb"), read_only=True)
    try:
        row = con.execute("select snapshot_id from twin.sites where site_id = ?", [site]).fetchone()
        newest = con.execute(
            "select max(snapshot_id) from twin.snapshots where site_id = ? and status = 'complete'",
            [site],
        ).fetchone()
    finally:
        con.close()
    assert row is not None and newest is not None and row[0] == newest[0]
    # Restore the second worker for what follows.
    cluster.server("workers", "2")


def test_a_site_with_missing_data_is_published_stale_and_a_second_nightly_is_refused(
    cluster: Cluster,
) -> None:
    for site in ("S1", "S2"):  # S3's extracts of the night stay missing
        for f in (cluster.root / f"held-{site}").glob("*/*"):
            f.rename(cluster.home / "sites" / site / "landing" / f.parent.name / f.name)
    first = cluster.nightly(NEXT_NIGHT)
    time.sleep(15)  # the first holds the twin-enterprise slot by now
    second = _finish(cluster.nightly(NEXT_NIGHT, "--wait", "3"), timeout=300)
    assert "twin-enterprise" in second, second
    out = _finish(first)
    assert "publish completed" in out and "stale: S3" in out, out
    con = duckdb.connect(str(cluster.home / "plant.duckdb"), read_only=True)
    try:
        sites = con.execute(
            "select site_id, as_of, stale, stale_reason is not null from twin.sites order by 1"
        ).fetchall()
        meta = con.execute("select as_of, stale_site_ids from meta.publish").fetchone()
        s3 = con.execute("select count(*) from twin.machine_day where site_id = 'S3'").fetchone()
    finally:
        con.close()
    assert sites == [
        ("S1", NEXT_NIGHT, False, False),
        ("S2", NEXT_NIGHT, False, False),
        ("S3", NIGHT, True, True),  # the previous night's, marked stale, not dropped
    ]
    assert meta == (NEXT_NIGHT, ["S3"])
    assert s3 is not None and s3[0] > 0
