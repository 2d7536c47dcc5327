"""The reports' chart types as Vega-Lite (Altair) specs, rendered to inline SVG by ``vega``.

Each function takes a polars frame in the shape it documents and returns one ``Html``
fragment (``<svg class="marks chart">``) or a "no data" note for an empty frame. Every mark
carries a ``tip`` (hover text with full values, see ``vega.full``); axis titles name the unit;
each chart with more than one series has a legend. Vega picks tick formats from the tick
step, so neighbouring ticks always read differently.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import polars as pl

from twin_core.report.html import Html
from twin_core.report.vega import BAD, BAND, HEIGHT, MUTED, OK, PALETTE, TIP, WIDTH, full, render
from twin_core.report.vega import no_data as no_data

__all__ = [
    "bar_chart",
    "capability_chart",
    "control_chart",
    "fan_chart",
    "fan_overlay_chart",
    "line_chart",
    "no_data",
    "pareto_chart",
    "projection_chart",
    "rate_chart",
    "stacked_loss_chart",
    "waterfall_chart",
]

_DESC = alt.Description(f"{TIP}:N")
INK_LINE = "#1d2733"
SPREAD_TITLES = {
    "R": "range within lot",
    "S": "std dev within lot",
    "MR": "moving range",
}


def _legend(
    domain: Sequence[str], colours: Sequence[str], shown: Sequence[bool] | None = None
) -> alt.Scale:
    """A colour scale that is the legend: ``domain`` names with their colours; names whose
    ``shown`` is false are left out (nothing of theirs is drawn)."""
    keep = [True] * len(domain) if shown is None else list(shown)
    pairs = [(d, c) for d, c, k in zip(domain, colours, keep, strict=True) if k]
    return alt.Scale(domain=[d for d, _ in pairs], range=[c for _, c in pairs])


def _finite(v: object) -> float | None:
    if v is None or isinstance(v, bool) or not isinstance(v, int | float):
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def bar_chart(
    title: str,
    frame: pl.DataFrame,
    *,
    x_title: str,
    y_title: str,
    percent: bool = False,
    reference: tuple[str, float] | None = None,
) -> Html:
    """Bars of ``value`` per ``label`` (in frame order) with an optional reference line."""
    if frame.is_empty():
        return no_data(title)
    unit = "%" if percent else ""
    data = frame.with_columns(
        pl.Series(
            TIP,
            [
                f"{lbl}: {full(v * 100 if percent and v is not None else v, unit)}"
                for lbl, v in zip(frame["label"], frame["value"], strict=True)
            ],
        )
    )
    fmt = ".0%" if percent else ",~g"
    bars = (
        alt.Chart(data)
        .mark_bar(color=PALETTE[0])
        .encode(
            # Every label on the axis, also one without a value (Vega drops its row).
            x=alt.X(
                "label:N",
                sort=None,
                title=x_title,
                scale=alt.Scale(domain=list(dict.fromkeys(frame["label"].to_list()))),
            ),
            y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=fmt)),
            description=_DESC,
        )
    )
    layers: list[alt.Chart] = [bars]
    if reference is not None:
        name, value = reference
        ref = pl.DataFrame({"value": [value], "what": [name], TIP: [f"{name}: {full(value)}"]})
        layers.append(
            alt.Chart(ref)
            .mark_rule(strokeDash=[5, 3], strokeWidth=1.5)
            .encode(
                y=alt.Y("value:Q"),
                color=alt.Color("what:N", scale=_legend([name], [BAD]), title=None),
                description=_DESC,
            )
        )
    return render(alt.layer(*layers, title=title, width=WIDTH, height=HEIGHT), title)


def line_chart(title: str, frame: pl.DataFrame, *, y_title: str, percent: bool = False) -> Html:
    """One line per ``series`` over ``day`` (text labels in order) of ``value``."""
    if frame.is_empty():
        return no_data(title)
    data = frame.with_columns(
        pl.Series(
            TIP,
            [
                f"{s} {d}: {full(v * 100 if percent and v is not None else v, '%' if percent else '')}"
                for s, d, v in zip(frame["series"], frame["day"], frame["value"], strict=True)
            ],
        )
    )
    series = sorted(set(data["series"].to_list()))
    chart = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("day:O", title="plant day (month-day)"),
            y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=".0%" if percent else ",~g")),
            color=alt.Color(
                "series:N",
                scale=_legend(series, [PALETTE[i % len(PALETTE)] for i in range(len(series))]),
                title=None,
            ),
            description=_DESC,
        )
    )
    return render(chart.properties(title=title, width=WIDTH, height=HEIGHT), title)


def fan_chart(title: str, frame: pl.DataFrame, *, unit: str = "good units") -> Html:
    """Forecast fan: ``day`` (text), ``p10``, ``p50``, ``p90``, ``required`` per day. The
    p10-p90 band, the p50 line and the requirement; a p50 below the requirement in red."""
    if frame.is_empty():
        return no_data(title)
    tips = [
        f"{d}: p10 {full(a)}, p50 {full(b)}, p90 {full(c)}, required {full(r)} {unit}"
        for d, a, b, c, r in zip(
            frame["day"], frame["p10"], frame["p50"], frame["p90"], frame["required"], strict=True
        )
    ]
    short = [
        "p50 below required" if r is not None and b is not None and b < r else "p50"
        for b, r in zip(frame["p50"], frame["required"], strict=True)
    ]
    data = frame.with_columns(pl.Series(TIP, tips), pl.Series("state", short))
    names = ["p10-p90 band", "p50", "required", "p50 below required"]
    scale = _legend(
        names, [BAND, PALETTE[0], MUTED, BAD], [True, True, True, "p50 below required" in short]
    )
    x = alt.X("day:O", title="plant day (month-day)")
    base = alt.Chart(data)
    band = (
        base.mark_area(opacity=0.6)
        .encode(
            x=x,
            y=alt.Y("p10:Q", title=f"{unit} per day"),
            y2=alt.Y2("p90:Q"),
            color=alt.Color("b:N", scale=scale, title=None),
            description=_DESC,
        )
        .transform_calculate(b="'p10-p90 band'")
    )
    p50 = (
        base.mark_line()
        .encode(x=x, y=alt.Y("p50:Q"), color=alt.Color("b:N", scale=scale), description=_DESC)
        .transform_calculate(b="'p50'")
    )
    req = (
        base.mark_line(strokeDash=[5, 3])
        .encode(x=x, y=alt.Y("required:Q"), color=alt.Color("b:N", scale=scale), description=_DESC)
        .transform_calculate(b="'required'")
    )
    points = base.mark_point(filled=True, size=40).encode(
        x=x, y=alt.Y("p50:Q"), color=alt.Color("state:N", scale=scale), description=_DESC
    )
    chart = alt.layer(band, p50, req, points, title=title, width=WIDTH, height=HEIGHT)
    return render(chart, title)


def projection_chart(
    title: str,
    frame: pl.DataFrame,
    *,
    reorder_point: float | None,
    safety_stock: float | None,
    unit: str = "units",
) -> Html:
    """Inventory projection: ``day`` (text), ``closing_on_hand``, ``receipts`` per day, with
    the reorder point and safety stock as lines and receipts as bars."""
    if frame.is_empty():
        return no_data(title)
    data = frame.with_columns(
        pl.Series(
            TIP,
            [
                f"{d}: closing on hand {full(c, unit)}, receipts {full(r, unit)}"
                for d, c, r in zip(
                    frame["day"], frame["closing_on_hand"], frame["receipts"], strict=True
                )
            ],
        )
    )
    names = ["closing on hand", "receipts", "reorder point", "safety stock"]
    scale = _legend(
        names,
        [PALETTE[0], OK, PALETTE[1], BAD],
        [
            True,
            bool((frame["receipts"].fill_null(0) > 0).any()),
            _finite(reorder_point) is not None,
            _finite(safety_stock) is not None,
        ],
    )
    x = alt.X("day:O", title="plant day (month-day)")
    base = alt.Chart(data)
    layers: list[alt.Chart] = [
        base.transform_filter("datum.receipts > 0")
        .transform_calculate(b="'receipts'")
        .mark_bar(opacity=0.7, size=8)
        .encode(
            x=x,
            y=alt.Y("receipts:Q"),
            color=alt.Color("b:N", scale=scale, title=None),
            description=_DESC,
        ),
        base.transform_calculate(b="'closing on hand'")
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y("closing_on_hand:Q", title=unit),
            color=alt.Color("b:N", scale=scale),
            description=_DESC,
        ),
    ]
    layers += _limit_rules(
        {"reorder point": reorder_point, "safety stock": safety_stock}, scale, unit, width=None
    )
    chart = alt.layer(*layers, title=title, width=WIDTH, height=HEIGHT)
    return render(chart, title)


def _limit_rules(
    limits: dict[str, float | None],
    scale: alt.Scale,
    unit: str = "",
    *,
    axis: str = "y",
    width: float | None = 1.5,
) -> list[alt.Chart]:
    """A dashed reference rule per finite limit (spec limits dotted, the others dashed) across
    ``axis``, coloured by its name in ``scale``, its value as the hover text."""
    out = []
    for name, value in limits.items():
        v = _finite(value)
        if v is None:
            continue
        ref = pl.DataFrame({"value": [v], "b": [name], TIP: [f"{name}: {full(v, unit)}"]})
        dash = [2, 2] if name in ("LSL", "USL") else [5, 3]
        style: dict[str, Any] = {"strokeDash": dash}
        if width is not None:
            style["strokeWidth"] = width
        out.append(
            alt.Chart(ref)
            .mark_rule(**style)
            .encode(
                **{axis: (alt.X if axis == "x" else alt.Y)("value:Q")},
                color=alt.Color("b:N", scale=scale),
                description=_DESC,
            )
        )
    return out


# Rule-name labels on a control chart: 9 px text, about this wide per character (DejaVu Sans),
# in at most this many rows along the top of the panel, this far apart.
LABEL_CHAR_PX, LABEL_ROWS, LABEL_ROW_PX = 5.6, 3, 11.0


def _rule_set(rules: str | None) -> list[str]:
    return [r.strip() for r in rules.split(",") if r.strip()] if rules else []


def rule_counts(rules: Sequence[str | None]) -> list[tuple[str, int]]:
    """Each rule that fired with the number of lots it fired on, in order of first firing."""
    counts: dict[str, int] = {}
    for names in rules:
        for r in _rule_set(names):
            counts[r] = counts.get(r, 0) + 1
    return list(counts.items())


def rule_labels(
    rules: Sequence[str | None], width: float
) -> tuple[list[str | None], list[float | None], list[str | None]]:
    """Per lot, the rule names to print, the label's top in pixels and its alignment
    ("left": it starts at the lot, "right": it ends there), so that labels never
    overlap on a busy chart: a rule is named where a run of its firings starts (not on
    every lot of the run), the rules starting on one lot share a label, and each label goes
    in the first of ``LABEL_ROWS`` rows where it clears the label before it. A label with
    no room is left out; its lots stay red, their hover names the rules, and the chart's
    subtitle names every rule that fired."""
    n = len(rules)
    step = width / max(n, 1)
    ends = [-math.inf] * LABEL_ROWS  # right edge (px) of the last label in each row
    names: list[str | None] = [None] * n
    tops: list[float | None] = [None] * n
    aligns: list[str | None] = [None] * n
    before: set[str] = set()
    for i, lot_rules in enumerate(rules):
        now = _rule_set(lot_rules)
        start = [r for r in now if r not in before]
        before = set(now)
        if not start:
            continue
        text = ", ".join(start)
        wide = LABEL_CHAR_PX * len(text) + 4
        centre = (i + 0.5) * step
        # Text starts at its lot (so it stays inside the plot on the left) unless it would
        # run past the right edge; then it ends at its lot.
        right = centre + wide > width
        left, end = (centre - wide, centre) if right else (centre, centre + wide)
        row = next((k for k, last in enumerate(ends) if left > last), None)
        if row is None:
            continue
        ends[row] = end
        names[i], tops[i] = text, 2 + row * LABEL_ROW_PX
        aligns[i] = "right" if right else "left"
    return names, tops, aligns


def control_chart(
    title: str,
    frame: pl.DataFrame,
    *,
    chart: str,
    center: float | None,
    lcl: float | None,
    ucl: float | None,
    sigma: float | None,
    range_center: float | None,
    range_lcl: float | None,
    range_ucl: float | None,
    lsl: float | None = None,
    usl: float | None = None,
    value_title: str = "lot mean",
) -> Html:
    """A Shewhart chart with its dispersion panel. ``frame``: ``lot`` (text, in time order),
    ``value`` (subgroup mean, or the individual for I-MR), ``spread`` (R, S or MR; may be
    null), ``rules`` (names of the rules that fired on the lot, or null).

    Top panel: the values with the centre line, control limits, the 1- and 2-sigma zones
    around the centre and the spec limits when given; lots where a rule fired are red and
    labelled with the rules. Bottom panel: R, S or MR with its own centre and limits."""
    if frame.is_empty():
        return no_data(title)
    location, spread = {"I-MR": ("I", "MR"), "Xbar-S": ("X-bar", "S")}.get(chart, ("X-bar", "R"))
    data = frame.with_columns(
        pl.Series(
            TIP,
            [
                f"lot {lot}: {value_title} {full(v)}, {spread} {full(s)}"
                + (f"; rules fired: {r}" if r else "")
                for lot, v, s, r in zip(
                    frame["lot"], frame["value"], frame["spread"], frame["rules"], strict=True
                )
            ],
        ),
        pl.when(pl.col("rules").is_not_null())
        .then(pl.lit("rule fired"))
        .otherwise(pl.lit(value_title))
        .alias("state"),
    )
    named, label_y, align = rule_labels(frame["rules"].to_list(), WIDTH)
    data = data.with_columns(
        pl.Series("named", named, dtype=pl.String),
        pl.Series("label_y", label_y, pl.Float64),
        pl.Series("align", align, pl.String),
    )
    counts = rule_counts(frame["rules"].to_list())
    names = [value_title, "rule fired", "centre", "control limit", "LSL", "USL"]
    scale = _legend(
        names,
        [PALETTE[0], BAD, MUTED, PALETTE[1], PALETTE[3], PALETTE[3]],
        [
            True,
            frame["rules"].drop_nulls().len() > 0,
            _finite(center) is not None or _finite(range_center) is not None,
            any(_finite(v) is not None for v in (lcl, ucl, range_lcl, range_ucl)),
            _finite(lsl) is not None,
            _finite(usl) is not None,
        ],
    )
    x = alt.X(
        "lot:N", sort=None, title="lot (time order)", axis=alt.Axis(labels=False, ticks=False)
    )
    layers: list[alt.Chart] = []
    c, s = _finite(center), _finite(sigma)
    if c is not None and s is not None and s > 0:
        zones = pl.DataFrame(
            {
                "lo": [c - 2 * s, c - s],
                "hi": [c + 2 * s, c + s],
                "zone": ["2-sigma zone", "1-sigma zone"],
                TIP: [
                    f"2-sigma zone: {full(c - 2 * s)} to {full(c + 2 * s)}",
                    f"1-sigma zone: {full(c - s)} to {full(c + s)}",
                ],
            }
        )
        layers.append(
            alt.Chart(zones)
            .mark_rect()
            .encode(
                y=alt.Y("lo:Q"),
                y2=alt.Y2("hi:Q"),
                fill=alt.Fill(
                    "zone:N",
                    scale=alt.Scale(
                        domain=["2-sigma zone", "1-sigma zone"], range=["#eef3f8", "#dde8f3"]
                    ),
                    title=None,
                ),
                description=_DESC,
            )
        )
    # Limits under the points, so the point under the mouse is the one hovered.
    layers += _limit_rules(
        {"centre": center, "control limit": ucl, "LSL": lsl, "USL": usl}, scale, ""
    )
    layers += _limit_rules({"control limit": lcl}, scale, "")
    base = alt.Chart(data)
    layers.append(
        base.mark_line(color=PALETTE[0], strokeWidth=1).encode(
            x=x, y=alt.Y("value:Q", title=value_title, scale=alt.Scale(zero=False))
        )
    )
    layers.append(
        base.mark_point(filled=True, size=30).encode(
            x=x,
            y=alt.Y("value:Q"),
            color=alt.Color("state:N", scale=scale, title=None),
            description=_DESC,
        )
    )
    # Rule names in rows along the top of the panel (pixels, not data), each where a run of
    # its firings starts, laid out so no two overlap (see rule_labels).
    for side in ("left", "right"):
        if side in align:
            layers.append(
                base.transform_filter(f"datum.align == '{side}'")
                .mark_text(fontSize=9, color=BAD, baseline="top", align=side)
                .encode(x=x, y=alt.Y("label_y:Q", scale=None, axis=None), text=alt.Text("named:N"))
            )
    heading: Any = f"{title}: {location} chart"
    if counts:
        heading = alt.TitleParams(
            heading,
            subtitle="rules fired on the lots shown: "
            + ", ".join(f"{r} on {n} lot(s)" for r, n in counts),
            subtitleColor=BAD,
            subtitleFontSize=10,
        )
    top = alt.layer(*layers, title=heading, width=WIDTH, height=HEIGHT)
    panels: list[alt.LayerChart | alt.FacetChart] = [top]
    if frame["spread"].drop_nulls().len() > 0:
        low = [
            base.mark_line(point=True, color=PALETTE[0], strokeWidth=1).encode(
                x=x,
                y=alt.Y("spread:Q", title=SPREAD_TITLES[spread]),
                description=_DESC,
            ),
            *_limit_rules({"centre": range_center, "control limit": range_ucl}, scale, ""),
            *_limit_rules({"control limit": range_lcl}, scale, ""),
        ]
        panels.append(alt.layer(*low, title=f"{spread} chart", width=WIDTH, height=90))
    out = alt.vconcat(*panels).resolve_scale(color="shared", x="shared")
    return render(out, f"{title}: {location}-{spread} chart")


def capability_chart(
    title: str,
    values: Sequence[float],
    *,
    lsl: float | None,
    usl: float | None,
    mean: float | None,
    sigma: float | None,
    cpk: float | None,
    cpk_target: float,
    bins: int = 20,
) -> Html:
    """Histogram of the measurements with LSL/USL and the fitted normal (``mean``,
    ``sigma``) scaled to counts. The bars are red when Cpk is below ``cpk_target``."""
    vals = np.asarray([v for v in values if math.isfinite(v)], dtype=float)
    if vals.size == 0:
        return no_data(title)
    counts, edges = np.histogram(vals, bins=bins)
    width = float(edges[1] - edges[0]) or 1.0
    low_cpk = cpk is not None and math.isfinite(cpk) and cpk < cpk_target
    hist = pl.DataFrame(
        {
            "lo": edges[:-1],
            "hi": edges[1:],
            "count": counts.astype(np.int64),
            TIP: [
                f"{full(float(a))} to {full(float(b))}: {int(n)} measurements"
                for a, b, n in zip(edges[:-1], edges[1:], counts, strict=True)
            ],
        }
    )
    cpk_text = "n/a" if cpk is None else full(cpk)
    names = ["measurements", "fitted normal", "LSL", "USL"]
    m, s = _finite(mean), _finite(sigma)
    scale = _legend(
        names,
        [BAD if low_cpk else PALETTE[0], INK_LINE, PALETTE[3], PALETTE[3]],
        [
            True,
            m is not None and s is not None and s > 0,
            _finite(lsl) is not None,
            _finite(usl) is not None,
        ],
    )
    layers: list[alt.Chart] = [
        alt.Chart(hist)
        .transform_calculate(b="'measurements'")
        .mark_bar(opacity=0.75)
        .encode(
            x=alt.X("lo:Q", bin="binned", title=f"{title.split(':')[0]} (as measured)"),
            x2=alt.X2("hi:Q"),
            y=alt.Y("count:Q", title="measurements per bin"),
            color=alt.Color("b:N", scale=scale, title=None),
            description=_DESC,
        )
    ]
    if m is not None and s is not None and s > 0:
        lo = min(float(edges[0]), m - 4 * s)
        hi = max(float(edges[-1]), m + 4 * s)
        xs = np.linspace(lo, hi, 80)
        ys = vals.size * width * np.exp(-0.5 * ((xs - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))
        curve = pl.DataFrame(
            {
                "x": xs,
                "y": ys,
                "b": ["fitted normal"] * xs.size,
                TIP: [f"normal(mean {full(m)}, sigma {full(s)})"] * xs.size,
            }
        )
        layers.append(
            alt.Chart(curve)
            .mark_line()
            .encode(
                x=alt.X("x:Q"),
                y=alt.Y("y:Q"),
                color=alt.Color("b:N", scale=scale),
                description=_DESC,
            )
        )
    layers += _limit_rules({"LSL": lsl, "USL": usl}, scale, axis="x")
    flag = f" (below target {full(cpk_target)})" if low_cpk else ""
    label = f"{title}: Cpk {cpk_text}{flag}"
    chart = alt.layer(
        *layers, title=alt.Title(label, color=BAD if low_cpk else None), width=WIDTH, height=HEIGHT
    )
    return render(chart, label)


def pareto_chart(title: str, frame: pl.DataFrame, *, x_title: str, y_title: str) -> Html:
    """Pareto: bars of ``value`` per ``label`` (largest first) and the cumulative share."""
    if frame.is_empty():
        return no_data(title)
    data = frame.sort("value", "label", descending=[True, False])
    total = float(data["value"].sum()) or 1.0
    data = data.with_columns(cum=pl.col("value").cum_sum() / total)
    data = data.with_columns(
        pl.Series(
            TIP,
            [
                f"{lbl}: {full(v)} {y_title}, cumulative {full(c * 100)}%"
                for lbl, v, c in zip(data["label"], data["value"], data["cum"], strict=True)
            ],
        )
    )
    names = [y_title, "cumulative share"]
    scale = _legend(names, [PALETTE[0], PALETTE[1]])
    x = alt.X("label:N", sort=None, title=x_title)
    base = alt.Chart(data)
    bars = (
        base.transform_calculate(b=f"'{_js(y_title)}'")
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y("value:Q", title=y_title),
            color=alt.Color("b:N", scale=scale, title=None),
            description=_DESC,
        )
    )
    cum = (
        base.transform_calculate(b="'cumulative share'")
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y(
                "cum:Q",
                title="cumulative share",
                axis=alt.Axis(format=".0%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color("b:N", scale=scale),
            description=_DESC,
        )
    )
    chart = (
        alt.layer(bars, cum)
        .resolve_scale(y="independent")
        .properties(title=title, width=WIDTH, height=HEIGHT)
    )
    return render(chart, title)


def _js(text: str) -> str:
    """Text inside a single-quoted Vega expression string."""
    return text.replace("\\", "\\\\").replace("'", "\\'")


def waterfall_chart(title: str, frame: pl.DataFrame, *, unit: str = "hours") -> Html:
    """A loss waterfall: ``step`` (text, in order), ``value`` (the first step is the total,
    the others are losses subtracted from it; the last step is what remains) and ``kind``
    (``total``, ``loss`` or ``result``)."""
    if frame.is_empty():
        return no_data(title)
    start, rows = 0.0, []
    for step, value, kind in zip(frame["step"], frame["value"], frame["kind"], strict=True):
        v = float(value or 0.0)
        if kind == "loss":
            top, bottom = start, start - v
            start -= v
        else:
            top, bottom = v, 0.0
            start = v
        rows.append(
            {
                "step": step,
                "kind": kind,
                "top": top,
                "bottom": bottom,
                TIP: f"{step}: {full(v, unit)}",
            }
        )
    data = pl.DataFrame(rows)
    scale = _legend(["total", "loss", "result"], [PALETTE[0], BAD, OK])
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("step:N", sort=None, title=None, axis=alt.Axis(labelAngle=-30)),
            y=alt.Y("top:Q", title=unit),
            y2=alt.Y2("bottom:Q"),
            color=alt.Color("kind:N", scale=scale, title=None),
            description=_DESC,
        )
        .properties(title=title, width=WIDTH, height=HEIGHT)
    )
    return render(chart, title)


def rate_chart(title: str, frame: pl.DataFrame, *, unit: str = "per 1,000 units") -> Html:
    """Rates with intervals: ``label``, ``rate``, ``lo``, ``hi``, optional ``reference``
    (e.g. the siblings' rate) and ``flagged`` (red)."""
    if frame.is_empty():
        return no_data(title)
    data = frame.with_columns(
        pl.when(pl.col("flagged")).then(pl.lit("flagged")).otherwise(pl.lit("rate")).alias("b"),
        pl.Series(
            TIP,
            [
                f"{lbl}: {full(r)} {unit} (95% interval {full(a)} to {full(b)}), siblings {full(s)}"
                for lbl, r, a, b, s in zip(
                    frame["label"],
                    frame["rate"],
                    frame["lo"],
                    frame["hi"],
                    frame["reference"],
                    strict=True,
                )
            ],
        ),
    )
    scale = _legend(
        ["rate", "flagged", "95% interval", "siblings' rate"], [PALETTE[0], BAD, MUTED, PALETTE[1]]
    )
    x = alt.X("label:N", sort=None, title="product@revision")
    base = alt.Chart(data)
    chart = alt.layer(
        base.transform_calculate(i="'95% interval'")
        .mark_rule(strokeWidth=2)
        .encode(
            x=x,
            y=alt.Y("lo:Q", title=f"complaints {unit}"),
            y2=alt.Y2("hi:Q"),
            color=alt.Color("i:N", scale=scale, title=None),
            description=_DESC,
        ),
        base.transform_filter("datum.reference != null")
        .transform_calculate(i="'siblings\\' rate'")
        .mark_tick(thickness=2, size=18)
        .encode(
            x=x, y=alt.Y("reference:Q"), color=alt.Color("i:N", scale=scale), description=_DESC
        ),
        base.mark_point(filled=True, size=50).encode(
            x=x, y=alt.Y("rate:Q"), color=alt.Color("b:N", scale=scale), description=_DESC
        ),
        title=title,
        width=WIDTH,
        height=HEIGHT,
    )
    return render(chart, title)


def fan_overlay_chart(title: str, frame: pl.DataFrame, *, unit: str = "good units") -> Html:
    """Fans of several variants on one axis (a scenario beside its baseline): ``variant``,
    ``day`` (text), ``p10``, ``p50``, ``p90``, ``required`` per variant and day. Each
    variant gets its band, its p50 line and its own requirement (dashed), in its colour."""
    if frame.is_empty():
        return no_data(title)
    data = frame.with_columns(
        pl.Series(
            TIP,
            [
                f"{v} {d}: p10 {full(a)}, p50 {full(b)}, p90 {full(c)}, required {full(r)} {unit}"
                for v, d, a, b, c, r in zip(
                    frame["variant"],
                    frame["day"],
                    frame["p10"],
                    frame["p50"],
                    frame["p90"],
                    frame["required"],
                    strict=True,
                )
            ],
        )
    )
    variants = list(dict.fromkeys(data["variant"].to_list()))
    scale = _legend(variants, [PALETTE[i % len(PALETTE)] for i in range(len(variants))])
    x = alt.X("day:O", title="plant day (month-day)")
    colour = alt.Color("variant:N", scale=scale, title=None)
    base = alt.Chart(data)
    chart = alt.layer(
        base.mark_area(opacity=0.25).encode(
            x=x, y=alt.Y("p10:Q", title=f"{unit} per day"), y2=alt.Y2("p90:Q"), color=colour
        ),
        base.mark_line().encode(x=x, y=alt.Y("p50:Q"), color=colour),
        base.mark_line(strokeDash=[5, 3]).encode(x=x, y=alt.Y("required:Q"), color=colour),
        base.mark_point(filled=True, size=30).encode(
            x=x, y=alt.Y("p50:Q"), color=colour, description=_DESC
        ),
        title=title,
        width=WIDTH,
        height=HEIGHT,
    )
    return render(chart, title)


def stacked_loss_chart(
    title: str, frame: pl.DataFrame, steps: Sequence[str], *, unit: str = "hours"
) -> Html:
    """One horizontal bar per ``label`` (in frame order) split into ``step`` segments of
    ``value`` (stacked in the order of ``steps``); ``share`` is the segment's share of the
    label's planned time, shown on hover."""
    if frame.is_empty():
        return no_data(title)
    order = {s: i for i, s in enumerate(steps)}
    data = frame.with_columns(
        pl.col("step").replace_strict(order, return_dtype=pl.Int64).alias("order"),
        pl.Series(
            TIP,
            [
                f"{lbl} {st}: {full(v, unit)} ({full(sh * 100 if sh is not None else None, '%')}"
                " of planned time)"
                for lbl, st, v, sh in zip(
                    frame["label"], frame["step"], frame["value"], frame["share"], strict=True
                )
            ],
        ),
    )
    colours = [*PALETTE[1:], MUTED, PALETTE[0], OK]
    scale = _legend(list(steps), [colours[i % len(colours)] for i in range(len(steps))])
    labels = list(dict.fromkeys(frame["label"].to_list()))
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=labels, title=None),
            x=alt.X("value:Q", stack="zero", title=f"{unit} in planned time"),
            color=alt.Color("step:N", scale=scale, title=None),
            order=alt.Order("order:Q"),
            description=_DESC,
        )
        .properties(title=title, width=WIDTH, height=max(60, 14 * len(labels)))
    )
    return render(chart, title)
