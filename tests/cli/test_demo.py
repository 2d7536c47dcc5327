"""`twin demo` (what `make demo` runs) end to end in a fresh process: a newcomer's first run."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
TWIN = REPO / ".venv" / "bin" / "twin"


def test_demo_generates_backfills_and_prints_commands_that_work(tmp_path: Path) -> None:
    """Two demo days, the last one nightly'd: reports and plant.duckdb exist, and the printed
    `twin query` commands run on them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "TWIN_"))}
    env.update(TWIN_HOME=str(tmp_path / "demo"), PREFECT_HOME=str(tmp_path / "prefect"))
    done = subprocess.run(
        [str(TWIN), "demo", "--days", "2", "--nights", "1"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2026-03-03: ingest completed, validate completed, rebuild completed" in done.stdout
    # Each stage's time and what it did, under the day's line.
    for stage, what in (
        ("ingest", r"batch \S+"),
        ("rebuild", r"snapshot \d+"),
        ("report", r"\d+ file"),
    ):
        assert re.search(rf"^  {stage} +\d+\.\d s  {what}", done.stdout, flags=re.M), done.stdout
    assert (tmp_path / "demo" / "reports" / "2026-03-03" / "index.html").is_file()
    assert (tmp_path / "demo" / "plant.duckdb").is_file()
    queries = re.findall(r"^\s+\.venv/bin/twin (query .+)$", done.stdout, flags=re.M)
    assert len(queries) >= 3
    for q in queries:
        ran = subprocess.run(
            [str(TWIN), *shlex.split(q)], cwd=REPO, env=env, capture_output=True, text=True
        )
        assert ran.returncode == 0, f"{q}: {ran.stderr}"
