"""SVG plumbing of the report charts: scales and ticks, the plot frame, the ``<svg>`` wrapper,
legends and polylines. Coordinates are rounded to 0.1 px so the same data gives the same bytes.
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


def rnd(v: float) -> str:
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
            y = rnd(self.y(t))
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
            out.append(el("text", fmt(t), x=self.left - 6, y=rnd(self.y(t) + 4), text_anchor="end"))
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
                    x=rnd(self.x(i)),
                    y=self.height - self.bottom + 14,
                    text_anchor="middle",
                )
            )
        return out


def svg(title: str, children: Sequence[Html], width: int = W, height: int = H) -> Html:
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


def legend(items: Sequence[tuple[str, str, str]], width: int = W) -> list[Html]:
    """(label, colour, dash) entries along the bottom edge."""
    out: list[Html] = []
    x = 52.0
    for label, colour, dash in items:
        out.append(
            el(
                "line",
                x1=rnd(x),
                x2=rnd(x + 18),
                y1=H - 8,
                y2=H - 8,
                stroke=colour,
                stroke_width=3,
                stroke_dasharray=dash or None,
            )
        )
        out.append(el("text", label, x=rnd(x + 22), y=H - 4))
        x += 30 + 7 * len(label)
    return out


def polyline(
    points: Sequence[tuple[float, float]], colour: str, *, width: float = 2, **attrs: object
) -> Html:
    return el(
        "polyline",
        points=" ".join(f"{rnd(a)},{rnd(b)}" for a, b in points),
        fill="none",
        stroke=colour,
        stroke_width=width,
        **attrs,
    )


def extent(values: Sequence[float | None], *, include_zero: bool = True) -> tuple[float, float]:
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not finite:
        return 0.0, 1.0
    lo, hi = min(finite), max(finite)
    if include_zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    return lo, hi
