"""The scenario page overlays each line's baseline and scenario fans on one axis; in headless
Chromium every overlay is drawn and its hover values are the scenario.line_forecast rows of
that variant (p10, p50, p90 and the variant's own requirement, day by day)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.report.browser import CHROMIUM, Browser
from tests.tiny_plant import tiny_snapshot
from twin_core.report.vega import full
from twin_core.scenario import ScenarioSpec
from twin_core.scenario.run import run_scenario
from twin_core.settings import Settings
from twin_core.warehouse import open_warehouse

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)"),
]

# Per overlay chart (its aria-label names it): drawn marks and the hover titles of its points.
OVERLAYS_JS = r"""
JSON.stringify(Array.from(document.querySelectorAll("div.overlay svg.chart")).map(function (svg) {
  var marks = Array.from(svg.querySelectorAll(".role-mark path, .role-mark [role=graphics-symbol]"))
    .filter(function (m) { var b = m.getBoundingClientRect(); return b.width > 0 || b.height > 0; });
  return {label: svg.getAttribute("aria-label"), marks: marks.length,
          titles: Array.from(svg.querySelectorAll("g.mark-symbol title")).map(function (t) { return t.textContent; })};
}))
"""


@pytest.mark.parametrize("multiplier", [1.5])
def test_the_overlaid_fans_show_each_variants_own_numbers(
    settings: Settings, tmp_path: Path, multiplier: float
) -> None:
    tiny_snapshot(settings)
    outcome, _ = run_scenario(
        settings, ScenarioSpec(name="rush", demand_multipliers={"P1": multiplier})
    )
    page = settings.reports_dir / "scenarios" / outcome.scenario_id / "index.html"
    with open_warehouse(settings, read_only=True) as con:
        rows = con.execute(
            """
            select line_id, variant, day, p10_qty, p50_qty, p90_qty, required_qty
            from scenario.line_forecast where scenario_id = ? order by all
            """,
            [outcome.scenario_id],
        ).fetchall()
    expected: dict[str, set[str]] = {}
    for line, variant, day, p10, p50, p90, required in rows:
        expected.setdefault(f"Line {line}: baseline and scenario overlaid", set()).add(
            f"{variant} {day:%m-%d}: p10 {full(float(p10 or 0))}, p50 {full(float(p50 or 0))}, "
            f"p90 {full(float(p90 or 0))}, required "
            f"{full(None if required is None else float(required))} good units"
        )
    assert expected, "the tiny plant forecasts its lines"
    with Browser(tmp_path / "profile") as browser:
        opened = browser.open(page.as_uri())
        seen: list[dict[str, Any]] = json.loads(opened.evaluate(OVERLAYS_JS))
        assert opened.console == []
        assert opened.requests == [page.as_uri()]
    assert sorted(c["label"] for c in seen) == sorted(expected)
    assert [c["label"] for c in seen if c["marks"] == 0] == []
    got = {c["label"]: set(c["titles"]) for c in seen}
    assert got == expected
    # The requirement differs between the variants where the multiplier touches the line.
    required: dict[tuple[str, str], float] = {}
    for line, variant, _, _, _, _, r in rows:
        required[(line, variant)] = required.get((line, variant), 0.0) + float(r or 0)
    assert any(required[(ln, "baseline")] != required[(ln, "scenario")] for ln, _ in required)
