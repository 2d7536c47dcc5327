"""The scenario page shows each variant with its own numbers, equal to scenario.* tables."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.report.test_browser import CHROMIUM, open_in_chromium
from twin_core.scenario import ScenarioSpec
from twin_core.scenario.report import qty
from twin_core.scenario.run import run_scenario
from twin_core.settings import Settings
from twin_core.warehouse import open_warehouse


class _TableRows(HTMLParser):
    """The text of every cell of the table with ``id``, row by row (header row first)."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id, self.inside, self.rows = table_id, False, []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("id", self.table_id) in attrs:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def _line_rows(page: str) -> dict[str, dict[str, str]]:
    parser = _TableRows("line-output")
    parser.feed(page)
    head, *body = parser.rows
    names = [
        "line",
        "baseline_required",
        "scenario_required",
        "delta_required",
        "baseline_p50",
        "scenario_p50",
        "delta_p50",
        "baseline_short",
        "scenario_short",
    ]
    assert len(head) == len(names)
    return {r[0]: dict(zip(names, r, strict=True)) for r in body}


@pytest.mark.parametrize("multiplier", [1.5, 1.0])
def test_the_scenario_page_shows_each_variant_with_its_own_required_quantity(
    settings: Settings, snapshot: int, multiplier: float
) -> None:
    """--demand P1=x: required and p50 of baseline and scenario, and their deltas, per line,
    are the sums of scenario.line_forecast for that variant (the page showed the baseline's
    requirement for both before)."""
    outcome, _ = run_scenario(
        settings, ScenarioSpec(name="rush", demand_multipliers={"P1": multiplier})
    )
    page = (settings.reports_dir / "scenarios" / outcome.scenario_id / "index.html").read_text(
        encoding="utf-8"
    )
    with open_warehouse(settings, read_only=True) as con:
        sums = con.execute(
            """
            select line_id, variant, sum(required_qty), sum(p50_qty),
                count(*) filter (where p50_qty < required_qty)
            from scenario.line_forecast where scenario_id = ? group by all order by all
            """,
            [outcome.scenario_id],
        ).fetchall()
    expected: dict[str, dict[str, str]] = {}
    raw: dict[tuple[str, str], tuple[float, float]] = {}
    for line, variant, required, p50, short in sums:
        row = expected.setdefault(line, {"line": line})
        row[f"{variant}_required"] = qty(required)
        row[f"{variant}_p50"] = qty(p50)
        row[f"{variant}_short"] = str(short)
        raw[(line, variant)] = (required, p50)
    for line, row in expected.items():
        (br, bp), (sr, sp) = raw[(line, "baseline")], raw[(line, "scenario")]
        row["delta_required"] = qty(sr - br)
        row["delta_p50"] = qty(sp - bp)
    assert expected, "the tiny plant forecasts its lines"
    assert _line_rows(page) == expected
    md = (settings.reports_dir / "scenarios" / outcome.scenario_id / "scenario.md").read_text(
        encoding="utf-8"
    )
    for line, row in expected.items():
        assert (
            f"| {line} | {row['baseline_required']} | {row['scenario_required']} | "
            f"{row['delta_required']} | {row['baseline_p50']} | {row['scenario_p50']} | "
            f"{row['delta_p50']} |"
        ) in md
    changed = [
        line for line in expected if raw[(line, "scenario")][0] != raw[(line, "baseline")][0]
    ]
    assert bool(changed) == (multiplier != 1.0)
    # One fan per variant and line, side by side.
    assert page.count('<div class="side">') == len(expected)
    for line in expected:
        for variant in ("baseline", "scenario"):
            assert f"Line {line}, {variant}: p10-p90 band" in page


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
def test_the_scenario_page_opens_in_chromium_with_every_chart_drawn(
    settings: Settings, snapshot: int, tmp_path: Path
) -> None:
    """No console message, no network asset, and every fan drawn (the check script's count)."""
    outcome, _ = run_scenario(settings, ScenarioSpec(name="rush", demand_multipliers={"P1": 1.5}))
    page = settings.reports_dir / "scenarios" / outcome.scenario_id / "index.html"
    dom, console = open_in_chromium(page, tmp_path / "profile")
    assert console == []
    match = re.search(r"<body([^>]*)>", dom)
    assert match is not None, "no <body> in the dumped DOM"
    body = dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(1)))
    assert body["data-charts-drawn"] == body["data-charts"] != "0"
    assert body["data-errors"] == ""
    assert re.findall(r'(?:src|href)="(?:https?:)?//', page.read_text(encoding="utf-8")) == []
