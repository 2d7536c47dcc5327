"""Both reports open in a real headless Chromium with no console errors and every chart drawn.

The page's own inline script records, in attributes of <body>, how many svg.chart elements
it has and how many have a non-empty drawn box; ``--dump-dom`` returns the DOM after load,
and ``--enable-logging=stderr`` prints every console message as a CONSOLE line.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.report.conftest import insert_rows
from tests.report.sample_plant import populate
from twin_core.report import build_reports
from twin_core.settings import Settings

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)"),
]


def open_in_chromium(page: Path, profile: Path) -> tuple[str, list[str]]:
    """The DOM after load and the console lines Chromium logged for the page."""
    assert CHROMIUM is not None
    run = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,2000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    return run.stdout, console


@pytest.fixture
def reports(settings: Settings, file_warehouse: duckdb.DuckDBPyConnection) -> dict[str, Path]:
    def insert(table: str, rows: list[dict[str, Any]]) -> None:
        insert_rows(file_warehouse, table, rows)

    populate(insert)
    file_warehouse.close()
    return build_reports(settings).paths


def _body(dom: str) -> dict[str, str]:
    match = re.search(r"<body([^>]*)>", dom)
    assert match is not None, "no <body> in the dumped DOM"
    return dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(1)))


@pytest.mark.parametrize("page", ["index", "quality"])
def test_report_opens_in_chromium_without_console_messages(
    reports: dict[str, Path], page: str, tmp_path: Path
) -> None:
    """Loading the page logs nothing to the console (no script error, no blocked fetch)."""
    _, console = open_in_chromium(reports[page], tmp_path / "profile")
    assert console == []


@pytest.mark.parametrize("page", ["index", "quality"])
def test_report_draws_every_chart_in_chromium(
    reports: dict[str, Path], page: str, tmp_path: Path
) -> None:
    """Every svg.chart has a non-empty drawn box, and there is at least one."""
    dom, _ = open_in_chromium(reports[page], tmp_path / "profile")
    body = _body(dom)
    assert int(body["data-charts"]) > 0
    assert body["data-charts-drawn"] == body["data-charts"]
    assert body["data-errors"] == ""


@pytest.mark.parametrize("page", ["index", "quality"])
def test_report_references_no_network_asset(reports: dict[str, Path], page: str) -> None:
    """No src or href points off the machine: the page is self-contained."""
    text = reports[page].read_text(encoding="utf-8")
    assert re.findall(r'(?:src|href)="(?:https?:)?//', text) == []
