"""End to end against a real Prefect server: deploy, start a worker, trigger runs as the UI does.

One server for the module (it costs ~40 s to start and deploy): ``scripts/server.sh start``
(the script behind ``make server``) on a free loopback port with its own PREFECT_HOME and
TWIN_HOME under tmp, a process worker, and the deployments of prefect.yaml. Flow runs are
created with ``POST /api/deployments/{id}/create_flow_run``, the request the UI's "Run"
button sends. Everything started is stopped in the fixture's ``finally`` (the script's stop,
then the process groups of any pid left).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from twin_core.settings import Settings
from twin_core.warehouse import connect

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "server.sh"
DAYS = 2
AS_OF = date(2026, 3, 3)  # the synthetic plant's second day (it starts 2026-03-02)
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
BUSY = {429, 502, 503}
RETRIES = 6


@dataclass
class Server:
    api: str
    home: Path
    prefect_home: Path
    client: httpx.Client

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One API call, retried like Prefect's own client does while the server answers
        "busy" (429, 502, 503: its SQLite database locked under load); other answers as they are."""
        for attempt in range(RETRIES):
            r = self.client.request(method, path, **kwargs)
            if r.status_code not in BUSY or attempt == RETRIES - 1:
                return r
            time.sleep(2 * (attempt + 1))
        raise AssertionError("unreachable")

    def deployment_id(self, flow: str, name: str) -> str:
        r = self.request("GET", f"/deployments/name/{flow}/{name}")
        r.raise_for_status()
        return str(r.json()["id"])

    def create_run(self, flow: str, name: str, parameters: dict[str, Any]) -> httpx.Response:
        """What the UI's Run button sends."""
        return self.request(
            "POST",
            f"/deployments/{self.deployment_id(flow, name)}/create_flow_run",
            json={
                "parameters": parameters,
                "state": {"type": "SCHEDULED", "message": "Run from the Prefect UI"},
            },
        )

    def wait(self, run_id: str, timeout_s: float = 240) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            run: dict[str, Any] = self.request("GET", f"/flow_runs/{run_id}").json()
            if run["state"]["type"] in TERMINAL:
                return run
            time.sleep(1)
        raise TimeoutError(f"flow run {run_id} did not finish in {timeout_s} s; see worker.log")

    def artifact_keys(self, run_id: str) -> set[str]:
        r = self.request(
            "POST", "/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [run_id]}}}
        )
        r.raise_for_status()
        return {a["key"] for a in r.json() if a.get("key")}

    def log_tail(self) -> str:
        run = self.prefect_home / "run"
        return "\n".join(
            f"--- {name}\n" + (run / name).read_text(errors="replace")[-3000:]
            for name in ("server.log", "deploy.log", "worker.log")
            if (run / name).exists()
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _kill_leftovers(run_dir: Path) -> None:
    """Whatever the stop step missed: kill the process group of each pid file."""
    for pid_file in run_dir.glob("*.pid"):
        with contextlib.suppress(ProcessLookupError, ValueError, PermissionError):
            os.killpg(int(pid_file.read_text().strip()), signal.SIGKILL)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("e2e")
    home, prefect_home = root / "home", root / "prefect-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "TWIN_"))}
    port = _free_port()
    env.update(
        PREFECT_HOME=str(prefect_home),
        PREFECT_PORT=str(port),
        TWIN_HOME=str(home),
        # Poll often so a created run starts at once; no UI assets needed for the API.
        PREFECT_WORKER_QUERY_SECONDS="1",
        PREFECT_SERVER_UI_ENABLED="false",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120",
    )
    venv_bin = REPO / ".venv" / "bin"
    gen = subprocess.run(
        [str(venv_bin / "twin"), "generate", "--out", str(home), "--days", str(DAYS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert gen.returncode == 0, gen.stderr
    api = f"http://127.0.0.1:{port}/api"
    try:
        started = subprocess.run(
            [str(SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=600
        )
        assert started.returncode == 0, started.stdout + started.stderr
        with httpx.Client(base_url=api, timeout=30) as client:
            yield Server(api, home, prefect_home, client)
    finally:
        subprocess.run([str(SCRIPT), "stop"], env=env, capture_output=True, timeout=120)
        _kill_leftovers(prefect_home / "run")


@pytest.fixture(scope="module")
def nightly_run(server: Server) -> dict[str, Any]:
    """One nightly for the plant's second day, created through the API as the UI does."""
    created = server.create_run("nightly", "nightly", {"as_of": AS_OF.isoformat()})
    assert created.status_code == 201, created.text
    return server.wait(created.json()["id"])


def test_a_nightly_triggered_like_the_ui_completes(
    server: Server, nightly_run: dict[str, Any]
) -> None:
    """The run the UI's button creates is picked up by the worker and completes."""
    assert nightly_run["state"]["type"] == "COMPLETED", server.log_tail()


def test_the_nightly_leaves_its_summary_and_reconciliation_artifacts(
    server: Server, nightly_run: dict[str, Any]
) -> None:
    """The stage table and the ingest reconciliation are attached to the run."""
    expected = {"nightly-summary", "ingest-reconciliation"}
    assert expected <= server.artifact_keys(nightly_run["id"])


def test_the_nightly_publishes_the_snapshot_it_built(
    server: Server, nightly_run: dict[str, Any]
) -> None:
    """plant.duckdb exists and shows the snapshot of the nightly's day."""
    con = connect(Settings(home=server.home).published_path, read_only=True)
    try:
        row = con.execute(
            "select p.snapshot_id, s.as_of from meta.publish p "
            "join history.snapshots s using (snapshot_id)"
        ).fetchone()
    finally:
        con.close()
    assert row is not None and row[1] == AS_OF


def test_a_mistyped_parameter_is_rejected_when_the_run_is_created(server: Server) -> None:
    """`as_off` for `as_of` is refused with a 4xx naming it; no run is created."""
    before = server.request("POST", "/flow_runs/count", json={}).json()
    r = server.create_run("nightly", "nightly", {"as_off": "2026-03-03"})
    assert 400 <= r.status_code < 500
    assert "as_off" in r.text
    assert server.request("POST", "/flow_runs/count", json={}).json() == before


def test_an_unknown_top_level_parameter_is_rejected_when_the_run_is_created(server: Server) -> None:
    """A parameter the flow does not have at all is refused too (schema closed by flows.deploy)."""
    # The parameters are flat now: the old wrapper object is a parameter the flow does not have.
    r = server.create_run("nightly", "nightly", {"params": {"as_of": "2026-03-03"}})
    assert 400 <= r.status_code < 500
    assert "params" in r.text


def test_a_malformed_date_is_rejected_when_the_run_is_created(server: Server) -> None:
    """A date that is not YYYY-MM-DD never reaches a worker."""
    r = server.create_run("nightly", "nightly", {"as_of": "03/03/2026"})
    assert 400 <= r.status_code < 500


def test_a_scenario_triggered_like_the_ui_completes_with_its_report(
    server: Server, nightly_run: dict[str, Any]
) -> None:
    """A what-if on the published snapshot completes, with its artifact and report folder."""
    con = connect(Settings(home=server.home).published_path, read_only=True)
    try:
        row = con.execute("select min(supplier_id) from core.suppliers").fetchone()
    finally:
        con.close()
    assert row is not None and row[0] is not None
    created = server.create_run(
        "scenario",
        "scenario",
        {
            "name": "e2e late supplier",
            "supplier_delays": [{"supplier_id": row[0], "days": 7}],
        },
    )
    assert created.status_code == 201, created.text
    run = server.wait(created.json()["id"])
    assert run["state"]["type"] == "COMPLETED", server.log_tail()
    assert "scenario-report" in server.artifact_keys(run["id"])
    reports = list((server.home / "reports" / "scenarios").glob("e2e-late-supplier-*/index.html"))
    assert len(reports) == 1
