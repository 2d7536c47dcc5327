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
from dataclasses import dataclass

from twin_core.report.html import Html, el

W, H = 560, 240
PALETTE = ("#2563a6", "#d68910", "#1e8449", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#b7950b")
BAD, BAND, INK, GRID, MUTED = "#c0392b", "#aac7e6", "#1d2733", "#e3e8ee", "#5b6876"


def no_data(what: str) -> Html:
    return el("p", f"{what}: no data in this snapshot.", class_="na")


def _r(v: float) -> str:
    text = f"{v:.1f}"
    return text[:-2] if text.endswith(".0") else text


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0]
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(1, n)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks, v = [], start
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 10))
        v += step
    if ticks[-1] < hi:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def fmt_tick(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 10000:
        return f"{v / 1000:.0f}k"
    if abs(v) >= 100 or float(v).is_integer():
        return f"{v:.0f}"
    return f"{v:.3g}"


@dataclass
class Frame:
    """A plot area: y from ``ticks``, x by position 0..n-1 (points) or as bands (bars)."""

    n: int
    ymin: float
    ymax: float
    width: int = W
    height: int = H
    left: int = 52
    right: int = 16
    top: int = 14
    bottom: int = 40

    @property
    def plot_w(self) -> float:
        return float(self.width - self.left - self.right)

    @property
    def plot_h(self) -> float:
        return float(self.height - self.top - self.bottom)

    def x(self, i: float) -> float:
        """Centre of position ``i`` (positions are bands of equal width)."""
        band = self.plot_w / max(1, self.n)
        return self.left + band * (i + 0.5)

    def band(self) -> float:
        return self.plot_w / max(1, self.n)

    def y(self, v: float) -> float:
        span = (self.ymax - self.ymin) or 1.0
        return self.top + self.plot_h * (1 - (v - self.ymin) / span)

    def grid(self, ticks: Sequence[float], fmt: Callable[[float], str] = fmt_tick) -> list[Html]:
        out: list[Html] = []
        for t in ticks:
            y = _r(self.y(t))
            out.append(
                el(
                    "line",
                    x1=self.left,
                    x2=self.width - self.right,
                    y1=y,
                    y2=y,
                    stroke=GRID,
                )
            )
            out.append(el("text", fmt(t), x=self.left - 6, y=_r(self.y(t) + 4), text_anchor="end"))
        return out

    def x_labels(self, labels: Sequence[str], *, max_labels: int = 10) -> list[Html]:
        step = max(1, math.ceil(len(labels) / max_labels))
        out = []
        for i, label in enumerate(labels):
            if i % step:
                continue
            out.append(
                el(
                    "text",
                    label,
                    x=_r(self.x(i)),
                    y=self.height - self.bottom + 14,
                    text_anchor="middle",
                )
            )
        return out


def _svg(title: str, children: Sequence[Html], width: int = W, height: int = H) -> Html:
    return el(
        "svg",
        el("title", title),
        children,
        class_="chart",
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {width} {height}",
        width=width,
        height=height,
        role="img",
        aria_label=title,
    )


def _legend(items: Sequence[tuple[str, str, str]], width: int = W) -> list[Html]:
    """(label, colour, dash) entries along the bottom edge."""
    out: list[Html] = []
    x = 52.0
    for label, colour, dash in items:
        out.append(
            el(
                "line",
                x1=_r(x),
                x2=_r(x + 18),
                y1=H - 8,
                y2=H - 8,
                stroke=colour,
                stroke_width=3,
                stroke_dasharray=dash or None,
            )
        )
        out.append(el("text", label, x=_r(x + 22), y=H - 4))
        x += 30 + 7 * len(label)
    return out


def _polyline(
    points: Sequence[tuple[float, float]], colour: str, *, width: float = 2, **attrs: object
) -> Html:
    return el(
        "polyline",
        points=" ".join(f"{_r(a)},{_r(b)}" for a, b in points),
        fill="none",
        stroke=colour,
        stroke_width=width,
        **attrs,
    )


def _extent(values: Sequence[float | None], *, include_zero: bool = True) -> tuple[float, float]:
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not finite:
        return 0.0, 1.0
    lo, hi = min(finite), max(finite)
    if include_zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    return lo, hi


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
    lo, hi = _extent([*values, reference[1] if reference else None])
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
                x=_r(f.x(i) - bw / 2),
                y=_r(top),
                width=_r(bw),
                height=_r(max(0.5, base - top)),
                fill=(colours[i] if colours else PALETTE[0]),
            )
        )
    for i, label in enumerate(labels):
        x, y = _r(f.x(i)), f.height - f.bottom + 12
        parts.append(
            el("text", label, x=x, y=y, text_anchor="end", transform=f"rotate(-35 {x} {y})")
        )
    if reference is not None:
        ref_y = _r(f.y(reference[1]))
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
            el("text", reference[0], x=W - f.right, y=_r(f.y(reference[1]) - 4), text_anchor="end")
        )
    return _svg(title, parts)


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
    lo, hi = _extent([v for _, vs in series for v in vs])
    ticks = nice_ticks(lo if ymin is None else ymin, hi if ymax is None else ymax)
    f = Frame(len(x_labels), ticks[0], ticks[-1])
    parts = f.grid(ticks, fmt) + f.x_labels(x_labels)
    legend = []
    for k, (name, values) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        pts = [(f.x(i), f.y(v)) for i, v in enumerate(values) if v is not None and math.isfinite(v)]
        if len(pts) == 1:
            parts.append(el("circle", cx=_r(pts[0][0]), cy=_r(pts[0][1]), r=3, fill=colour))
        elif pts:
            parts.append(_polyline(pts, colour))
        legend.append((name, colour, ""))
    return _svg(title, parts + _legend(legend))


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
    lo, hi = _extent([*p10, *p90, *required])
    ticks = nice_ticks(lo, hi)
    f = Frame(len(days), ticks[0], ticks[-1])
    parts = f.grid(ticks) + f.x_labels(days)
    upper = [(f.x(i), f.y(v)) for i, v in enumerate(p90)]
    lower = [(f.x(i), f.y(v)) for i, v in reversed(list(enumerate(p10)))]
    parts.append(
        el(
            "polygon",
            points=" ".join(f"{_r(a)},{_r(b)}" for a, b in upper + lower),
            fill=BAND,
            fill_opacity="0.6",
            stroke="none",
        )
    )
    parts.append(_polyline([(f.x(i), f.y(v)) for i, v in enumerate(p50)], PALETTE[0]))
    req = [(f.x(i), f.y(v)) for i, v in enumerate(required) if v is not None]
    if req:
        parts.append(_polyline(req, INK, stroke_dasharray="6 3"))
    for i, (r, m) in enumerate(zip(required, p50, strict=True)):
        if r is not None and m < r:
            parts.append(
                el(
                    "circle",
                    el("title", f"{days[i]}: p50 {fmt_tick(m)} < required {fmt_tick(r)}"),
                    cx=_r(f.x(i)),
                    cy=_r(f.y(m)),
                    r=4,
                    fill=BAD,
                )
            )
    legend = [("p10-p90", BAND, ""), ("p50", PALETTE[0], ""), ("required", INK, "6 3")]
    return _svg(title, parts + _legend(legend))


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
    lo, hi = _extent([*closing, reorder_point, safety_stock])
    ticks = nice_ticks(lo, hi)
    f = Frame(len(days), ticks[0], ticks[-1])
    parts = f.grid(ticks) + f.x_labels(days)
    legend = [("closing on hand", PALETTE[0], "")]
    for label, value, colour, dash in (
        ("reorder point", reorder_point, PALETTE[1], "6 3"),
        ("safety stock", safety_stock, PALETTE[2], "2 3"),
    ):
        if value is None or not math.isfinite(value):
            continue
        y = _r(f.y(value))
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
        legend.append((label, colour, dash))
    pts = [(f.x(i), f.y(v)) for i, v in enumerate(closing) if v is not None]
    if pts:
        parts.append(_polyline(pts, PALETTE[0]))
    for i, v in enumerate(closing):
        if v is not None and v < 0:
            parts.append(
                el(
                    "circle",
                    el("title", f"{days[i]}: stockout"),
                    cx=_r(f.x(i)),
                    cy=_r(f.y(v)),
                    r=4,
                    fill=BAD,
                )
            )
    return _svg(title, parts + _legend(legend))


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
    lo, hi = _extent([*values, center, lcl, ucl], include_zero=False)
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
        y = _r(f.y(value))
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
        parts.append(el("text", label, x=W - f.right, y=_r(f.y(value) - 3), text_anchor="end"))
    parts.append(_polyline([(f.x(i), f.y(v)) for i, v in enumerate(values)], PALETTE[0], width=1))
    for i, (v, rule) in enumerate(zip(values, violated, strict=True)):
        tip = f"{labels[i]}: {fmt_tick(v)}" + (f" ({rule})" if rule else "")
        parts.append(
            el(
                "circle",
                el("title", tip),
                cx=_r(f.x(i)),
                cy=_r(f.y(v)),
                r=4 if rule else 2,
                fill=BAD if rule else PALETTE[0],
                class_="violation" if rule else None,
            )
        )
    return _svg(title, parts + f.x_labels(labels, max_labels=6))


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
                x=_r(f.x(i) - bw / 2),
                y=_r(top),
                width=_r(bw),
                height=_r(max(0.5, f.y(0) - top)),
                fill=PALETTE[0],
            )
        )
        x, y = _r(f.x(i)), f.height - f.bottom + 12
        parts.append(
            el("text", labels[i], x=x, y=y, text_anchor="end", transform=f"rotate(-35 {x} {y})")
        )
    share = [(f.x(i), f.top + f.plot_h * (1 - s)) for i, s in enumerate(cum)]
    parts.append(_polyline(share, PALETTE[1]))
    for pct in (0.0, 0.5, 0.8, 1.0):
        parts.append(
            el(
                "text",
                f"{pct:.0%}",
                x=W - f.right + 4,
                y=_r(f.top + f.plot_h * (1 - pct) + 4),
                fill=MUTED,
            )
        )
    return _svg(title, parts)
