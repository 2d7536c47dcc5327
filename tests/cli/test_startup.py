"""The command line starts without loading the engines: `twin --help` must not import DuckDB,
polars, Prefect, Great Expectations or the synthetic plant's numpy/scipy (their import costs
about 2 s; bench/startup_bench.py measures the time). Commands load what they use."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("duckdb", "polars", "prefect", "great_expectations", "scipy", "numpy", "flows")


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return {m.split(".")[0] for m in done.stdout.split()}


def test_importing_the_cli_loads_no_engine() -> None:
    loaded = _loaded_after("import twin_cli")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_help_lists_every_command_group_without_engines() -> None:
    code = (
        "from typer.testing import CliRunner\n"
        "from twin_cli import app\n"
        "r = CliRunner().invoke(app, ['--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        "assert all(c in r.output for c in ('nightly', 'query', 'generate', 'ingest'))\n"
    )
    loaded = _loaded_after(code)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_the_probe_sees_an_engine_when_one_is_imported() -> None:
    # The check above could pass vacuously if the probe saw nothing: it does see duckdb here.
    assert "duckdb" in _loaded_after("import duckdb")


def test_the_nightly_flow_loads_scipy_only_when_a_stage_needs_it() -> None:
    """Issue 23's fixed cost: importing the nightly flow (what `twin nightly` does before its
    first stage) must not pay scipy's import (about 1 s); the rebuild's statistics load it on
    first use, and they still work."""
    assert "scipy" not in _loaded_after("import flows.nightly")
    used = _loaded_after(
        "import flows.nightly\n"
        "from twin_core.sim.quality.feedback import poisson_rate_p_value\n"
        "assert abs(poisson_rate_p_value(10, 1.0, 2, 1.0) - 0.019287109375) < 1e-12\n"
    )
    assert "scipy" in used
