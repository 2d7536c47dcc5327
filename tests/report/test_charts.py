"""The figure functions: what each chart draws equals the frame it was given (read back from
the hover titles of the rendered SVG), the loss arithmetic of the OEE waterfall, the
dispersion statistic of the control charts, the complaint-rate interval, and markup safety."""

from __future__ import annotations

import html
import itertools
import re
import xml.etree.ElementTree as ET
from datetime import date

import altair as alt
import polars as pl
import pytest

from twin_core.report import charts, figures, vega
from twin_core.report.vega import full, render


@pytest.fixture(autouse=True)
def validated_specs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every spec these tests render is checked against the Vega-Lite schema (reports skip it)."""
    monkeypatch.setattr(vega, "VALIDATE", True)


def titles(svg: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r"<title>([^<]*)</title>", svg)]


def test_full_keeps_six_significant_digits_and_separates_thousands() -> None:
    assert full(12.013456) == "12.0135"
    assert full(17944.5) == "17,944.5"
    assert full(14425) == "14,425"
    assert full(0.25, "%") == "0.25%"
    assert full(None) == "n/a"
    assert full(float("nan")) == "n/a"


def test_fan_chart_points_carry_the_frame_values() -> None:
    frame = pl.DataFrame(
        {
            "day": ["03-11", "03-12"],
            "p10": [12.01, 13.5],
            "p50": [12.02, 14425.0],
            "p90": [12.03, 15000.25],
            "required": [12.025, 17944.5],
        }
    )
    svg = charts.fan_chart("Line L1", frame)
    expected = {
        f"{d}: p10 {full(a)}, p50 {full(b)}, p90 {full(c)}, required {full(r)} good units"
        for d, a, b, c, r in frame.iter_rows()
    }
    assert expected <= set(titles(svg))
    assert "p50 below required" in svg  # the legend names the red points


def test_bar_chart_draws_one_bar_per_row_with_its_value() -> None:
    frame = pl.DataFrame({"label": ["M1", "M2", "M3"], "value": [0.8123, 0.7, 0.25]})
    svg = charts.bar_chart("OEE", frame, x_title="machine", y_title="OEE", percent=True)
    assert [t for t in titles(svg) if t.startswith("M")] == ["M1: 81.23%", "M2: 70%", "M3: 25%"]


def _machine_day() -> pl.DataFrame:
    # Two machines of one line, one day each: 10 h planned, ideal cycle 36 s (100 units/h).
    return pl.DataFrame(
        {
            "line_id": ["L1", "L1"],
            "machine_id": ["M1", "M2"],
            "day": [date(2026, 3, 10)] * 2,
            "planned_busy_s": [36000.0, 36000.0],
            "running_s": [28800.0, 18000.0],
            "down_s": [3600.0, 0.0],
            "setup_s": [1800.0, 0.0],
            "idle_s": [1800.0, 18000.0],
            "starved_s": [0.0, 14400.0],
            "blocked_s": [900.0, 0.0],
            "unrecorded_s": [0.0, 0.0],
            "good_qty": [700, 450],
            "scrap_qty": [20, 0],
            "ideal_cycle_time_s": [36.0, 36.0],
        }
    )


def test_loss_hours_add_up_to_planned_time_and_give_the_oee() -> None:
    got = figures.loss_hours(_machine_day(), ["machine_id"]).to_dicts()
    m1, m2 = got
    assert m1["starved_h"] == 0.0 and m1["blocked_h"] == 0.25 and m1["other_idle_h"] == 0.25
    assert m2["starved_h"] == 4.0 and m2["other_idle_h"] == 1.0
    assert m1["speed_loss_h"] == pytest.approx(8.0 - 720 * 36 / 3600)
    assert m1["scrap_h"] == pytest.approx(20 * 36 / 3600)
    for row in got:
        losses = sum(row[col] for _, col in figures.LOSS_STEPS)
        assert losses + row["productive_h"] == pytest.approx(row["planned_h"])
    # OEE = ideal x good / planned, as twin.machine_day defines it.
    assert m1["productive_h"] / m1["planned_h"] == pytest.approx(36 * 700 / 36000)


def test_loss_waterfall_shows_each_loss_and_the_line_oee() -> None:
    recent = _machine_day()
    out = figures.loss_waterfalls(recent, days=7)
    assert len(out) == 2  # line L1, then one bar per machine
    line = titles(out[0])
    assert "planned time: 20 hours" in line
    assert "starved: 4 hours" in line
    assert "down: 1 hours" in line
    oee = 36 * (700 + 450) / 72000
    assert f"OEE {oee:.1%} (productive): {full((700 + 450) * 36 / 3600)} hours" in line
    machines = titles(out[1])
    assert "M2 starved: 4 hours (40% of planned time)" in machines
    assert "M1 blocked: 0.25 hours (2.5% of planned time)" in machines
    assert f"M1 productive: {full(700 * 36 / 3600)} hours (70% of planned time)" in machines


def test_loss_waterfall_without_planned_time_is_a_note() -> None:
    recent = _machine_day().with_columns(planned_busy_s=pl.lit(0.0))
    (out,) = figures.loss_waterfalls(recent, days=7)
    assert "no data" in out and "<svg" not in out


def _lots() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "product_id": ["P1"] * 4,
            "characteristic": ["d"] * 4,
            "lot_id": ["A", "B", "C", "D"],
            "ts": [1, 2, 3, 4],
            "mean": [10.0, 10.5, 10.2, 9.9],
            "n": [1, 1, 1, 1],
            "range": [0.1, 0.2, 0.3, 0.4],
            "sd": [0.01, 0.02, 0.03, 0.04],
        }
    )


def test_control_points_use_the_moving_range_on_i_mr() -> None:
    fired = {("P1", "d", "C"): ["WE1", "WE5"]}
    got = figures.control_points(_lots(), "P1", "d", "I-MR", fired, points=60)
    assert got["value"].to_list() == [10.0, 10.5, 10.2, 9.9]
    assert got["spread"].to_list()[1:] == pytest.approx([0.5, 0.3, 0.3])
    assert got["spread"][0] is None
    assert got["rules"].to_list() == [None, None, "WE1, WE5", None]


@pytest.mark.parametrize(("chart", "column"), [("Xbar-R", "range"), ("Xbar-S", "sd")])
def test_control_points_use_r_or_s_per_chart(chart: str, column: str) -> None:
    got = figures.control_points(_lots(), "P1", "d", chart, {}, points=3)
    assert got["lot"].to_list() == ["B", "C", "D"]
    assert got["spread"].to_list() == _lots()[column].to_list()[1:]


def test_control_chart_draws_zones_limits_rules_and_the_dispersion_panel() -> None:
    frame = figures.control_points(_lots(), "P1", "d", "Xbar-R", {("P1", "d", "B"): ["WE1"]}, 60)
    svg = charts.control_chart(
        "P1 d",
        frame,
        chart="Xbar-R",
        center=10.1,
        lcl=9.5,
        ucl=10.7,
        sigma=0.2,
        range_center=0.25,
        range_lcl=0.0,
        range_ucl=0.6,
        lsl=9.0,
        usl=11.0,
        value_title="d, lot mean",
    )
    got = titles(svg)
    assert "lot B: d, lot mean 10.5, R 0.2; rules fired: WE1" in got
    assert "1-sigma zone: 9.9 to 10.3" in got and "2-sigma zone: 9.7 to 10.5" in got
    assert {"LSL: 9", "USL: 11", "control limit: 10.7", "control limit: 0.6"} <= set(got)
    assert "R chart" in svg and ">WE1<" in svg


def test_capability_histogram_counts_every_value_and_flags_low_cpk() -> None:
    values = [10.0 + 0.01 * (i % 7) for i in range(70)]
    svg = charts.capability_chart(
        "P1 d",
        values,
        lsl=9.9,
        usl=10.2,
        mean=10.03,
        sigma=0.02,
        cpk=1.1,
        cpk_target=1.33,
        bins=10,
    )
    counts = [int(m) for t in titles(svg) for m in re.findall(r": (\d+) measurements$", t)]
    assert sum(counts) == 70
    assert "Cpk 1.1 (below target 1.33)" in svg
    assert ">fitted normal<" in svg and 'class="mark-line' in svg  # the curve and its legend
    ok = charts.capability_chart(
        "P1 d", values, lsl=9.9, usl=10.2, mean=10.03, sigma=0.02, cpk=1.5, cpk_target=1.33
    )
    assert "below target" not in ok


def test_poisson_interval_matches_the_exact_garwood_bounds() -> None:
    lo, hi = figures.poisson_interval(0, 1000.0)
    assert lo == 0.0 and hi == pytest.approx(3.6889, abs=1e-4)
    lo, hi = figures.poisson_interval(10, 5000.0)
    assert lo == pytest.approx(4.7954 / 5, abs=1e-4)
    assert hi == pytest.approx(18.3904 / 5, abs=1e-4)


def test_pareto_sorts_largest_first_with_the_cumulative_share() -> None:
    frame = pl.DataFrame({"label": ["a", "b", "c"], "value": [1.0, 6.0, 3.0]})
    got = [
        t
        for t in titles(charts.pareto_chart("x", frame, x_title="c", y_title="units"))
        if "cumulative" in t and t[0] in "abc"
    ]
    assert got[:3] == [
        "b: 6 units, cumulative 60%",
        "c: 3 units, cumulative 90%",
        "a: 1 units, cumulative 100%",
    ]


def test_hostile_labels_stay_text() -> None:
    evil = '<script>alert("x")</script>'
    frame = pl.DataFrame({"label": [evil, "ok"], "value": [1.0, 2.0]})
    one = charts.bar_chart("t", frame, x_title="a", y_title="b")
    assert "<script" not in one
    assert evil in "".join(titles(one))
    ET.fromstring(one)  # well-formed markup


def test_clip_path_ids_are_unique_per_chart_and_references_follow_them() -> None:
    def clipped(values: list[float]) -> str:
        frame = pl.DataFrame({"x": [1.0, 2.0], "y": values})
        chart = alt.Chart(frame).mark_line(clip=True).encode(x="x:Q", y="y:Q")
        return render(chart.properties(width=100, height=50), "clipped")

    one, other = clipped([1.0, 2.0]), clipped([2.0, 3.0])
    ids_one = re.findall(r' id="([^"]+)"', one)
    ids_other = re.findall(r' id="([^"]+)"', other)
    assert ids_one and ids_other
    assert set(ids_one).isdisjoint(ids_other)
    for svg, ids in ((one, ids_one), (other, ids_other)):
        assert set(re.findall(r"url\(#([^)]+)\)", svg)) <= set(ids)


def test_fan_overlay_draws_each_variant_with_its_own_requirement() -> None:
    frame = pl.DataFrame(
        {
            "variant": ["baseline", "baseline", "P1=1.5", "P1=1.5"],
            "day": ["03-11", "03-12"] * 2,
            "p10": [100.0, 110.0, 100.0, 110.0],
            "p50": [120.0, 130.0, 120.0, 130.0],
            "p90": [140.0, 150.0, 140.0, 150.0],
            "required": [14425.0, 14425.0, 17944.5, 17944.5],
        }
    )
    got = titles(charts.fan_overlay_chart("Line L1", frame))
    assert "baseline 03-11: p10 100, p50 120, p90 140, required 14,425 good units" in got
    assert "P1=1.5 03-12: p10 110, p50 130, p90 150, required 17,944.5 good units" in got


def test_capability_figures_use_the_configured_target() -> None:
    from datetime import datetime

    from twin_core.report.data import ReportData, SnapshotInfo

    snap = SnapshotInfo(1, date(2026, 3, 10), datetime(2026, 3, 11), "t", "UTC")
    cap = pl.DataFrame(
        {
            "product_id": ["P1"],
            "characteristic": ["d"],
            "n": [20],
            "cpk": [1.5],
            "mean": [10.0],
            "sigma_within": [0.1],
            "sigma_overall": [0.1],
            "lsl": [9.0],
            "usl": [11.0],
        }
    )
    values = pl.DataFrame(
        {"product_id": ["P1"] * 20, "characteristic": ["d"] * 20, "value": [10.0] * 20}
    )
    data = ReportData(snap, {"capability": cap}, {"inspection_values": values})
    assert "below target" not in figures.capability_figures(data, cpk_target=1.33)[0]
    assert "Cpk 1.5 (below target 1.67)" in figures.capability_figures(data, cpk_target=1.67)[0]


def test_more_series_than_colours_reuse_the_palette() -> None:
    frame = pl.DataFrame(
        {
            "series": [f"line L{i}" for i in range(12)],
            "day": ["03-11"] * 12,
            "value": [0.5 + i / 100 for i in range(12)],
        }
    )
    got = titles(charts.line_chart("OEE", frame, y_title="OEE", percent=True))
    assert "line L11 03-11: 61%" in got


# Bad or thin input: each kind gets a note or an honest "n/a", never an exception.


@pytest.mark.parametrize(
    ("draw", "frame"),
    [
        (lambda f: charts.fan_chart("Line L1", f), pl.DataFrame()),
        (lambda f: charts.bar_chart("OEE", f, x_title="m", y_title="OEE"), pl.DataFrame()),
        (lambda f: charts.pareto_chart("Defects", f, x_title="c", y_title="units"), pl.DataFrame()),
        (lambda f: charts.waterfall_chart("Line L1", f), pl.DataFrame()),
        (lambda f: charts.rate_chart("Rates", f), pl.DataFrame()),
    ],
)
def test_an_empty_frame_gives_a_no_data_note(draw: object, frame: pl.DataFrame) -> None:
    out = draw(frame)  # type: ignore[operator]
    assert "no data in this snapshot" in out and "<svg" not in out


def test_capability_without_finite_values_is_a_note() -> None:
    out = charts.capability_chart(
        "P1 d",
        [float("nan")],
        lsl=None,
        usl=None,
        mean=None,
        sigma=None,
        cpk=None,
        cpk_target=1.33,
    )
    assert "no data" in out


def test_missing_and_nan_values_show_as_n_a_on_hover() -> None:
    """A day without a requirement keeps its fan point, with "required n/a"; a bar without a
    value (null or NaN) is not drawn, its label stays on the axis."""
    fan = pl.DataFrame(
        {
            "day": ["03-11", "03-12"],
            "p10": [1.0, 2.0],
            "p50": [2.0, 3.0],
            "p90": [3.0, 4.0],
            "required": [None, float("nan")],
        },
        schema_overrides={"required": pl.Float64},
    )
    got = titles(charts.fan_chart("Line L1", fan))
    assert "03-11: p10 1, p50 2, p90 3, required n/a good units" in got
    assert "03-12: p10 2, p50 3, p90 4, required n/a good units" in got
    bars = pl.DataFrame(
        {"label": ["M1", "M2", "M3"], "value": [None, float("nan"), 0.5]},
        schema={"label": pl.String, "value": pl.Float64},
    )
    svg = charts.bar_chart("OEE", bars, x_title="m", y_title="OEE", percent=True)
    assert [t for t in titles(svg) if t.startswith("M")] == ["M3: 50%"]
    assert ">M1<" in svg and ">M2<" in svg


def test_machine_day_rows_from_before_starved_and_blocked_count_them_as_other_idle() -> None:
    """Snapshots built before migration 099 have no starved_s / blocked_s (or nulls there):
    their idle time is all "other idle", and the losses still add up."""
    old = _machine_day().drop("starved_s", "blocked_s")
    (m1, m2) = figures.loss_hours(old, ["machine_id"]).to_dicts()
    assert (m2["starved_h"], m2["other_idle_h"]) == (0.0, 5.0)
    nulls = _machine_day().with_columns(pl.lit(None, pl.Float64).alias("starved_s"))
    (_, m2) = figures.loss_hours(nulls, ["machine_id"]).to_dicts()
    assert (m2["starved_h"], m2["other_idle_h"]) == (0.0, 5.0)
    for row in (m1, m2):
        losses = sum(row[col] for _, col in figures.LOSS_STEPS)
        assert losses + row["productive_h"] == pytest.approx(row["planned_h"])


def test_rule_labels_on_a_busy_chart_never_overlap_and_every_rule_is_named() -> None:
    """200 lots where the set of rules changes every few lots: names only where a rule's run
    starts, no two labels of a row overlap, and the subtitle names every rule with its
    count of lots (a label with no room is left out, its lots stay red)."""
    pattern = ["WE1, WE2, WE3, WE4", "WE4", None, "WE2, WE3", "WE1", "WE1, WE2", None]
    rules = [pattern[i % len(pattern)] for i in range(200)]
    names, tops, aligns = charts.rule_labels(rules, charts.WIDTH)
    step = charts.WIDTH / len(rules)
    rows: dict[float, list[tuple[float, float]]] = {}
    for i, (name, top) in enumerate(zip(names, tops, strict=True)):
        assert (name is None) == (top is None)
        if name is None:
            continue
        before = set((rules[i - 1] or "").split(", ")) if i else set()
        assert all(r not in before for r in name.split(", ")), (i, name)  # a run's start
        wide, at = charts.LABEL_CHAR_PX * len(name), (i + 0.5) * step
        span = (at - wide, at) if aligns[i] == "right" else (at, at + wide)
        assert span[0] >= 0 and span[1] <= charts.WIDTH, (name, span)  # inside the plot
        rows.setdefault(top, []).append(span)
    assert len(rows) <= charts.LABEL_ROWS
    for spans in rows.values():
        assert all(a[1] < b[0] for a, b in itertools.pairwise(spans)), spans
    assert {r for n in names if n for r in n.split(", ")} == {"WE1", "WE2", "WE3", "WE4"}
    counts = dict(charts.rule_counts(rules))
    assert counts == {
        r: sum(r in (x or "").split(", ") for x in rules) for r in ("WE1", "WE2", "WE3", "WE4")
    }
    frame = pl.DataFrame(
        {
            "lot": [f"L{i:03d}" for i in range(200)],
            "value": [10.0 + (i % 5) / 10 for i in range(200)],
            "spread": [0.2] * 200,
            "rules": rules,
        }
    )
    svg = charts.control_chart(
        "P1 d",
        frame,
        chart="Xbar-R",
        center=10.1,
        lcl=9.5,
        ucl=10.7,
        sigma=0.2,
        range_center=0.25,
        range_lcl=0.0,
        range_ucl=0.6,
    )
    assert "rules fired on the lots shown: WE1 on" in svg
    # Every firing stays marked: each lot where rules fired has a hover title naming them
    # (on its X-bar point and its R point).
    tipped = {t for t in titles(svg) if "; rules fired: " in t}
    assert len(tipped) == sum(r is not None for r in rules)
