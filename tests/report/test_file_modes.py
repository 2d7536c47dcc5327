"""Report files are for others to read: 0644 files in 0755 folders, whatever the umask.

Each test runs under umask 077 (a service's usual setting), which alone would make every
file 0600 and every folder 0700; ``tempfile.mkstemp`` makes 0600 files under any umask.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.report.conftest import insert_rows
from tests.report.sample_plant import populate
from tests.tiny_plant import tiny_snapshot
from twin_core.report import build_reports
from twin_core.scenario import ScenarioSpec
from twin_core.scenario.run import run_scenario
from twin_core.settings import Settings
from twin_core.shared_files import share_tree, write_text


@pytest.fixture
def private_umask() -> Iterator[None]:
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def not_shared(root: Path) -> dict[str, str]:
    """Folders under ``root`` (itself included) that are not 0755 and files not 0644."""
    out = {}
    for p in [root, *sorted(root.rglob("*"))]:
        want = 0o755 if p.is_dir() else 0o644
        if mode(p) != want:
            out[str(p.relative_to(root))] = oct(mode(p))
    return out


def test_the_snapshot_reports_are_0644_in_0755_folders(
    private_umask: None, settings: Settings, file_warehouse: duckdb.DuckDBPyConnection
) -> None:
    def insert(table: str, rows: list[dict[str, Any]]) -> None:
        insert_rows(file_warehouse, table, rows)

    populate(insert)
    file_warehouse.close()
    result = build_reports(settings)
    assert len(result.paths) == 4
    assert not_shared(settings.reports_dir) == {}


def test_a_scenario_report_is_0644_in_0755_folders(private_umask: None, settings: Settings) -> None:
    tiny_snapshot(settings)
    outcome, _ = run_scenario(settings, ScenarioSpec(name="rush", demand_multipliers={"P1": 1.5}))
    folder = settings.reports_dir / "scenarios" / outcome.scenario_id
    assert {p.name for p in folder.iterdir()} == {"scenario.md", "index.html", "params.json"}
    for p in (settings.reports_dir, settings.reports_dir / "scenarios"):
        assert mode(p) == 0o755
    assert not_shared(folder) == {}


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    """write_text replaces a file whole: text that cannot be encoded keeps the old one."""
    target = tmp_path / "out" / "page.html"
    write_text(target, "old")
    with pytest.raises(UnicodeEncodeError):
        write_text(target, "bad \udc80 surrogate")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in target.parent.iterdir()] == ["page.html"]


def test_share_tree_of_a_missing_folder_does_nothing(tmp_path: Path) -> None:
    share_tree(tmp_path / "absent")
    assert not (tmp_path / "absent").exists()
