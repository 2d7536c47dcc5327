"""Inline SVG charts drawn in Python: bars, lines, forecast fans, inventory projections,
control charts and Paretos.

Each function takes plain Python values and returns one ``<svg class="chart">`` element
(``Html``); every label goes through the escaping builder, so ids and codes from extracts
are safe. Coordinates are rounded to 0.1 px, so the same data gives the same bytes.
An empty series gives a "no data" note instead of an empty chart.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from twin_core.report.html import Html, el
from twin_core.report.svg import (
    BAD,
    BAND,
    INK,
    MUTED,
    PALETTE,
    Frame,
    W,
    extent,
    fmt_tick,
    legend,
    nice_ticks,
    no_data,
    polyline,
    rnd,
    svg,
)

__all__ = [
    "bar_chart",
    "control_chart",
    "fan_chart",
    "line_chart",
    "no_data",
    "pareto_chart",
    "projection_chart",
]


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    ymax: float | None = None,
    fmt: Callable[[float], str] = fmt_tick,
    reference: tuple[str, float] | None = None,
    colours: Sequence[str] | None = None,
) -> Html:
    """Vertical bars, one per label, with an optional horizontal reference line."""
    if not labels:
        return no_data(title)
    lo, hi = extent([*values, reference[1] if reference else None])
    ticks = nice_ticks(lo, ymax if ymax is not None else hi)
    f = Frame(len(labels), ticks[0], ticks[-1], bottom=54)
    parts = f.grid(ticks, fmt)
    bw = f.band() * 0.7
    for i, v in enumerate(values):
        if v is None or not math.isfinite(v):
            continue
        top, base = f.y(max(v, 0.0)), f.y(min(v, 0.0))
        parts.append(
            el(
                "rect",
                el("title", f"{labels[i]}: {fmt(v)}"),
                x=rnd(f.x(i) - bw / 2),
                y=rnd(top),
                width=rnd(bw),
                height=rnd(max(0.5, base - top)),
                fill=(colours[i] if colours else PALETTE[0]),
            )
        )
    for i, label in enumerate(labels):
        x, y = rnd(f.x(i)), f.height - f.bottom + 12
        parts.append(
            el("text", label, x=x, y=y, text_anchor="end", transform=f"rotate(-35 {x} {y})")
        )
    if reference is not None:
        ref_y = rnd(f.y(reference[1]))
        parts.append(
            el(
                "line",
                x1=f.left,
                x2=W - f.right,
                y1=ref_y,
                y2=ref_y,
                stroke=BAD,
                stroke_dasharray="5 3",
            )
        )
        parts.append(
            el("text", reference[0], x=W - f.right, y=rnd(f.y(reference[1]) - 4), text_anchor="end")
        )
    return svg(title, parts)


def line_chart(
    title: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    fmt: Callable[[float], str] = fmt_tick,
    ymin: float | None = None,
    ymax: float | None = None,
) -> Html:
    """One line per series over shared x labels (gaps where a value is missing)."""
    if not x_labels or not series:
        return no_data(title)
    lo, hi = extent([v for _, vs in series for v in vs])
    ticks = nice_ticks(lo if ymin is None else ymin, hi if ymax is None else ymax)
    f = Frame(len(x_labels), ticks[0], ticks[-1])
    parts = f.grid(ticks, fmt) + f.x_labels(x_labels)
    keys = []
    for k, (name, values) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        pts = [(f.x(i), f.y(v)) for i, v in enumerate(values) if v is not None and math.isfinite(v)]
        if len(pts) == 1:
            parts.append(el("circle", cx=rnd(pts[0][0]), cy=rnd(pts[0][1]), r=3, fill=colour))
        elif pts:
            parts.append(polyline(pts, colour))
        keys.append((name, colour, ""))
    return svg(title, parts + legend(keys))


def fan_chart(
    title: str,
    days: Sequence[str],
    p10: Sequence[float],
    p50: Sequence[float],
    p90: Sequence[float],
    required: Sequence[float | None],
) -> Html:
    """A forecast fan: p10-p90 band, p50 line, required output dashed; days where the p50
    misses the requirement are marked."""
    if not days:
        return no_data(title)
    lo, hi = extent([*p10, *p90, *required])
    ticks = nice_ticks(lo, hi)
    f = Frame(len(days), ticks[0], ticks[-1])
    parts = f.grid(ticks) + f.x_labels(days)
    upper = [(f.x(i), f.y(v)) for i, v in enumerate(p90)]
    lower = [(f.x(i), f.y(v)) for i, v in reversed(list(enumerate(p10)))]
    parts.append(
        el(
            "polygon",
            points=" ".join(f"{rnd(a)},{rnd(b)}" for a, b in upper + lower),
            fill=BAND,
            fill_opacity="0.6",
            stroke="none",
        )
    )
    parts.append(polyline([(f.x(i), f.y(v)) for i, v in enumerate(p50)], PALETTE[0]))
    req = [(f.x(i), f.y(v)) for i, v in enumerate(required) if v is not None]
    if req:
        parts.append(polyline(req, INK, stroke_dasharray="6 3"))
    for i, (r, m) in enumerate(zip(required, p50, strict=True)):
        if r is not None and m < r:
            parts.append(
                el(
                    "circle",
                    el("title", f"{days[i]}: p50 {fmt_tick(m)} < required {fmt_tick(r)}"),
                    cx=rnd(f.x(i)),
                    cy=rnd(f.y(m)),
                    r=4,
                    fill=BAD,
                )
            )
    keys = [("p10-p90", BAND, ""), ("p50", PALETTE[0], ""), ("required", INK, "6 3")]
    return svg(title, parts + legend(keys))


def projection_chart(
    title: str,
    days: Sequence[str],
    closing: Sequence[float | None],
    *,
    reorder_point: float | None,
    safety_stock: float | None,
) -> Html:
    """Projected closing on-hand against the reorder point, safety stock and zero."""
    if not days:
        return no_data(title)
    lo, hi = extent([*closing, reorder_point, safety_stock])
    ticks = nice_ticks(lo, hi)
    f = Frame(len(days), ticks[0], ticks[-1])
    parts = f.grid(ticks) + f.x_labels(days)
    keys = [("closing on hand", PALETTE[0], "")]
    for label, value, colour, dash in (
        ("reorder point", reorder_point, PALETTE[1], "6 3"),
        ("safety stock", safety_stock, PALETTE[2], "2 3"),
    ):
        if value is None or not math.isfinite(value):
            continue
        y = rnd(f.y(value))
        parts.append(
            el(
                "line",
                x1=f.left,
                x2=W - f.right,
                y1=y,
                y2=y,
                stroke=colour,
                stroke_width=2,
                stroke_dasharray=dash,
            )
        )
        keys.append((label, colour, dash))
    pts = [(f.x(i), f.y(v)) for i, v in enumerate(closing) if v is not None]
    if pts:
        parts.append(polyline(pts, PALETTE[0]))
    for i, v in enumerate(closing):
        if v is not None and v < 0:
            parts.append(
                el(
                    "circle",
                    el("title", f"{days[i]}: stockout"),
                    cx=rnd(f.x(i)),
                    cy=rnd(f.y(v)),
                    r=4,
                    fill=BAD,
                )
            )
    return svg(title, parts + legend(keys))


def control_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    violated: Sequence[str | None],
    *,
    center: float | None,
    lcl: float | None,
    ucl: float | None,
) -> Html:
    """Subgroup values in time order with centre line and control limits; points where a
    rule fired are red, with the rule in their tooltip."""
    if not values:
        return no_data(title)
    lo, hi = extent([*values, center, lcl, ucl], include_zero=False)
    pad = (hi - lo) * 0.08 or 1.0
    ticks = nice_ticks(lo - pad, hi + pad)
    f = Frame(len(values), ticks[0], ticks[-1])
    parts = f.grid(ticks)
    for label, value, colour, dash in (
        ("UCL", ucl, BAD, "6 3"),
        ("CL", center, PALETTE[2], ""),
        ("LCL", lcl, BAD, "6 3"),
    ):
        if value is None or not math.isfinite(value):
            continue
        y = rnd(f.y(value))
        parts.append(
            el(
                "line",
                x1=f.left,
                x2=W - f.right,
                y1=y,
                y2=y,
                stroke=colour,
                stroke_dasharray=dash or None,
            )
        )
        parts.append(el("text", label, x=W - f.right, y=rnd(f.y(value) - 3), text_anchor="end"))
    parts.append(polyline([(f.x(i), f.y(v)) for i, v in enumerate(values)], PALETTE[0], width=1))
    for i, (v, rule) in enumerate(zip(values, violated, strict=True)):
        tip = f"{labels[i]}: {fmt_tick(v)}" + (f" ({rule})" if rule else "")
        parts.append(
            el(
                "circle",
                el("title", tip),
                cx=rnd(f.x(i)),
                cy=rnd(f.y(v)),
                r=4 if rule else 2,
                fill=BAD if rule else PALETTE[0],
                class_="violation" if rule else None,
            )
        )
    return svg(title, parts + f.x_labels(labels, max_labels=6))


def pareto_chart(title: str, labels: Sequence[str], counts: Sequence[float]) -> Html:
    """Bars sorted as given (largest first) with the cumulative share as a line."""
    if not labels or sum(counts) <= 0:
        return no_data(title)
    ticks = nice_ticks(0, max(counts))
    f = Frame(len(labels), ticks[0], ticks[-1], right=40, bottom=54)
    parts = f.grid(ticks)
    bw = f.band() * 0.7
    total, running, cum = float(sum(counts)), 0.0, []
    for i, c in enumerate(counts):
        running += c
        cum.append(running / total)
        top = f.y(c)
        parts.append(
            el(
                "rect",
                el("title", f"{labels[i]}: {fmt_tick(c)}"),
                x=rnd(f.x(i) - bw / 2),
                y=rnd(top),
                width=rnd(bw),
                height=rnd(max(0.5, f.y(0) - top)),
                fill=PALETTE[0],
            )
        )
        x, y = rnd(f.x(i)), f.height - f.bottom + 12
        parts.append(
            el("text", labels[i], x=x, y=y, text_anchor="end", transform=f"rotate(-35 {x} {y})")
        )
    share = [(f.x(i), f.top + f.plot_h * (1 - s)) for i, s in enumerate(cum)]
    parts.append(polyline(share, PALETTE[1]))
    for pct in (0.0, 0.5, 0.8, 1.0):
        parts.append(
            el(
                "text",
                f"{pct:.0%}",
                x=W - f.right + 4,
                y=rnd(f.top + f.plot_h * (1 - pct) + 4),
                fill=MUTED,
            )
        )
    return svg(title, parts)
