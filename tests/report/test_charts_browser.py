"""The report charts in a real headless Chromium (Chrome DevTools Protocol over a pipe):
each page loads with no console message and no network request besides the page itself,
every chart has drawn marks, the tick labels of every axis are distinct, and the mark under
the mouse carries the full value as its hover title."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.report.browser import CHROMIUM, Browser
from tests.report.conftest import add_snapshot, insert_rows
from tests.report.sample_plant import populate
from twin_core.report import build_reports
from twin_core.settings import Settings
from twin_core.warehouse import apply_schema, connect

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)"),
]

PAGES = ["index", "quality"]

# Per svg.chart: drawn marks (role-mark items with a non-empty box), the tick labels of
# each axis, and for the first hoverable mark the title of what is under its centre.
CHARTS_JS = r"""
JSON.stringify(Array.from(document.querySelectorAll("svg.chart")).map(function (svg) {
  var marks = Array.from(svg.querySelectorAll(".role-mark [role=graphics-symbol], .role-mark path, .role-mark rect, .role-mark line"))
    .filter(function (m) { var b = m.getBoundingClientRect(); return b.width > 0 || b.height > 0; });
  var axes = Array.from(svg.querySelectorAll("g.role-axis")).map(function (axis) {
    return Array.from(axis.querySelectorAll("g.role-axis-label text")).map(function (t) { return t.textContent; });
  });
  var hover = null;
  // Points first (drawn on top), else bars.
  var tipped = Array.from(svg.querySelectorAll("g.mark-symbol > [role=graphics-symbol]"))
    .concat(Array.from(svg.querySelectorAll("g.mark-rect > [role=graphics-symbol]"))).filter(function (m) {
    var b = m.getBoundingClientRect(); return b.width > 2 && b.height > 2 && m.querySelector("title");
  });
  for (var i = 0; i < tipped.length && hover === null; i++) {
    tipped[i].scrollIntoView({block: "center"});
    var b = tipped[i].getBoundingClientRect();
    var hit = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
    var node = hit;
    while (node && node !== svg && !(node.querySelector && node.querySelector(":scope > title"))) { node = node.parentNode; }
    if (node && node !== svg) {
      hover = {expected: tipped[i].querySelector("title").textContent, got: node.querySelector(":scope > title").textContent};
    }
  }
  // Text marks and axis labels; a rotated label's box is wider than its glyphs, and a label
  // Vega hid (opacity 0, its overlap removal) is not drawn: skip them.
  var texts = Array.from(svg.querySelectorAll("g.mark-text text")).filter(function (t) {
    return (t.getAttribute("transform") || "").indexOf("rotate") < 0 && t.getAttribute("opacity") !== "0";
  }).map(function (t) {
    var b = t.getBoundingClientRect(); return {text: t.textContent, l: b.left, r: b.right, t: b.top, b: b.bottom};
  });
  return {label: svg.getAttribute("aria-label"), marks: marks.length, axes: axes, hover: hover, texts: texts,
          titles: Array.from(svg.querySelectorAll(".role-mark title")).map(function (t) { return t.textContent; })};
}))
"""


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The sample plant in a warehouse file (one for every test of the module)."""
    settings = Settings(home=tmp_path_factory.mktemp("charts"))
    con = connect(settings.warehouse_path, settings=settings)
    apply_schema(con)
    add_snapshot(con)
    populate(lambda table, rows: insert_rows(con, table, rows))
    con.close()
    return settings


@pytest.fixture(scope="module")
def reports(plant: Settings) -> dict[str, Path]:
    return build_reports(plant).paths


@pytest.fixture(scope="module")
def charts(reports: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    found: dict[str, Any] = {}
    with Browser(tmp_path_factory.mktemp("profile")) as browser:
        for name in PAGES:
            page = browser.open(reports[name].as_uri())
            found[name] = {
                "console": page.console,
                "requests": page.requests,
                "charts": json.loads(page.evaluate(CHARTS_JS)),
                "uri": reports[name].as_uri(),
            }
    return found


@pytest.mark.parametrize("name", PAGES)
def test_page_logs_nothing_and_requests_only_itself(charts: dict[str, Any], name: str) -> None:
    seen = charts[name]
    assert seen["console"] == []
    assert seen["requests"] == [seen["uri"]]


@pytest.mark.parametrize("name", PAGES)
def test_every_chart_has_drawn_marks(charts: dict[str, Any], name: str) -> None:
    drawn = charts[name]["charts"]
    assert drawn, "no chart on the page"
    assert [c["label"] for c in drawn if c["marks"] == 0] == []


@pytest.mark.parametrize("name", PAGES)
def test_tick_labels_of_every_axis_are_distinct(charts: dict[str, Any], name: str) -> None:
    repeated = [
        (c["label"], labels)
        for c in charts[name]["charts"]
        for labels in c["axes"]
        if len(set(labels)) != len(labels)
    ]
    assert repeated == []
    assert any(len(labels) > 1 for c in charts[name]["charts"] for labels in c["axes"])


@pytest.mark.parametrize("name", PAGES)
def test_the_mark_under_the_mouse_shows_its_full_value(charts: dict[str, Any], name: str) -> None:
    hovers = [c["hover"] for c in charts[name]["charts"] if c["hover"] is not None]
    assert hovers, "no chart has a hoverable mark"
    assert [h for h in hovers if h["got"] != h["expected"]] == []


def test_control_chart_hover_titles_carry_the_lot_means_unrounded(
    charts: dict[str, Any], plant: Settings
) -> None:
    """Each point of a control chart names its lot and its mean with 6 significant digits,
    equal to the mean of the lot's inspections (the old charts kept 3, so lots read alike)."""
    con = connect(plant.warehouse_path, settings=plant)
    try:
        means = {
            (str(c), str(lot)): float(m)
            for c, lot, m in con.execute(
                "select characteristic, lot_id, avg(value) from core.inspections group by all"
            ).fetchall()
        }
    finally:
        con.close()
    titles = [
        t for c in charts["quality"]["charts"] for t in c["titles"] if re.match(r"lot \S+: ", t)
    ]
    assert titles, "no control chart points on the quality page"
    for t in titles:
        m = re.match(r"lot (\S+): (.+), lot mean (-?[\d,]*\d(?:\.\d+)?)", t)
        assert m is not None, t
        lot, characteristic, shown = m.groups()
        assert shown == format(means[(characteristic, lot)], ",.6g"), t


@pytest.mark.parametrize("name", PAGES)
def test_text_labels_in_a_chart_never_overlap(charts: dict[str, Any], name: str) -> None:
    """Rule names on control charts, other text marks and unrotated axis labels are
    readable: no two drawn labels of one chart share a pixel."""
    overlapping = []
    for c in charts[name]["charts"]:
        boxes = [t for t in c["texts"] if t["r"] > t["l"] and t["b"] > t["t"]]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                if a["l"] < b["r"] and b["l"] < a["r"] and a["t"] < b["b"] and b["t"] < a["b"]:
                    overlapping.append((c["label"], a["text"], b["text"]))
    assert overlapping == []
