"""The scenario flow on the local Prefect API: report, artifact, lock."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from flows.params import ScenarioParams
from flows.scenario import scenario
from tests.prefect_artifacts import run_artifacts
from tests.tiny_plant import tiny_snapshot
from twin_core.runlock import LockBusy, home_lock
from twin_core.scenario import SupplierDelay
from twin_core.settings import Settings


def test_a_scenario_run_writes_its_report_and_an_artifact(
    prefect_api: None, settings: Settings
) -> None:
    """The flow stores the scenario, writes reports/scenarios/<id>/ and a markdown artifact."""
    tiny_snapshot(settings)
    state = scenario(
        **ScenarioParams(
            name="late steel", supplier_delays=[SupplierDelay(supplier_id="SUP1", days=5)]
        ).kwargs(),
        return_state=True,
    )
    summary = state.result()
    assert (summary.report_dir / "index.html").is_file()
    assert summary.rows["material_status"] == 2
    assert summary.scenario_id in run_artifacts(state)["scenario-report"]


def test_a_scenario_that_may_not_wait_refuses_a_busy_home(
    prefect_api: None, settings: Settings
) -> None:
    """With lock_wait_s=0 a scenario refuses to start while another run holds TWIN_HOME."""
    tiny_snapshot(settings)
    code = textwrap.dedent(
        f"""
        import time
        from twin_core.runlock import home_lock
        from twin_core.settings import Settings
        with home_lock(Settings(home={str(settings.home)!r}), "nightly 2026-01-06"):
            print("held", flush=True)
            time.sleep(60)
        """
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LockBusy, match="nightly 2026-01-06"):
            scenario(**ScenarioParams(lock_wait_s=0).kwargs())
    finally:
        holder.kill()
        holder.wait()
    with home_lock(settings, "check", wait_s=0):
        assert not (settings.reports_dir / "scenarios").exists()
