"""Vega-Lite charts (built with Altair) rendered to static inline SVG by vl-convert.

``render`` turns an Altair chart into one ``<svg class="marks chart">`` fragment for a page:
no JavaScript runs in the browser, so the pages keep their strict Content-Security-Policy
(one hashed script, no ``unsafe-eval``, which Vega's expression compiler would need) and
need no network. Hover values: Vega writes each mark's ``description`` encoding as its
``aria-label``; ``render`` adds the same text as an SVG ``<title>`` child, which browsers show
on hover (the label itself is dropped, the title is the accessible name). Element ids (clip paths, gradients) get a prefix from the chart's content, so many
charts on one page never share an id, and the same data gives the same bytes.
"""

from __future__ import annotations

import hashlib
import math
import re
import xml.etree.ElementTree as ET
from typing import Any

import altair as alt
import vl_convert

from twin_core.report.html import Html, el

__all__ = ["TIP", "full", "no_data", "render"]

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

# Column holding each mark's hover text (encoded as ``description``).
TIP = "tip"
PALETTE = ("#2563a6", "#d68910", "#1e8449", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#b7950b")
BAD, BAND, INK, MUTED, OK = "#c0392b", "#aac7e6", "#1d2733", "#5b6876", "#1e8449"
WIDTH, HEIGHT = 480, 200

_CONFIG: dict[str, Any] = {
    # Measured by vl-convert with DejaVu Sans (Debian's default); Verdana is as wide.
    "font": "DejaVu Sans, Verdana, sans-serif",
    "axis": {"labelFontSize": 11, "titleFontSize": 11, "titleColor": INK, "labelColor": INK},
    # At most 3 legend entries a row, so a chart stays narrow enough for two side by side.
    "legend": {"labelFontSize": 11, "titleFontSize": 11, "orient": "bottom", "columns": 3},
    "title": {"fontSize": 13, "anchor": "start", "color": INK},
    "view": {"stroke": "#d6dde4"},
}


def full(v: object, unit: str = "") -> str:
    """A number as hover text shows it: up to 6 significant digits, thousands separated."""
    if v is None:
        return "n/a"
    if isinstance(v, bool) or not isinstance(v, int | float):
        return str(v)
    if isinstance(v, float) and not math.isfinite(v):
        return "n/a"
    text = f"{v:,}" if isinstance(v, int) else format(v, ",.6g")
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}".rstrip()


def no_data(what: str) -> Html:
    return el("p", f"{what}: no data in this snapshot.", class_="na")


# Altair checks every spec against the Vega-Lite JSON schema; that costs about as much as
# rendering it, so reports skip it and tests/report/test_charts.py turns it on.
VALIDATE = False


def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    with alt.data_transformers.disable_max_rows():
        spec: dict[str, Any] = chart.to_dict(validate=VALIDATE)
    config = spec.setdefault("config", {})
    for key, value in _CONFIG.items():
        config.setdefault(key, value)
    return spec


_ID = re.compile(r"url\(#([^)]+)\)")
_MULTI = ("mark-line", "mark-area", "mark-trail")
# Coordinates to 0.01 px (Vega writes 17 digits): a third of a chart's bytes, no visible change.
_DIGITS = re.compile(r"(\d\.\d{2})\d+")
_FONT = ("font-family", "font-size", "font-weight", "font-style", "fill")


def render(chart: alt.TopLevelMixin, label: str) -> Html:
    """The chart as one inline ``<svg class="marks chart">`` with hover titles on its marks;
    ``label`` is the accessible name of the whole picture."""
    svg = vl_convert.vegalite_to_svg(_spec(chart))
    root = ET.fromstring(svg)
    prefix = "c" + hashlib.sha256(svg.encode("utf-8")).hexdigest()[:8] + "-"
    root.set("class", "marks chart")
    root.set("role", "img")
    root.set("aria-label", label)
    href = f"{{{XLINK_NS}}}href"
    # A line or area is one path for many data: its label names only the first datum, so it
    # gets no hover title (the points drawn on it carry theirs).
    # Text marks (labels on points) must not take the hover from the point they sit on.
    texts = {
        id(child)
        for group in root.iter(f"{{{SVG_NS}}}g")
        if "mark-text" in group.get("class", "")
        for child in group
    }
    many = {
        id(child)
        for group in root.iter(f"{{{SVG_NS}}}g")
        if any(k in group.get("class", "") for k in _MULTI)
        for child in group
    }
    for node in root.iter():
        if "id" in node.attrib:
            node.set("id", prefix + node.attrib["id"])
        for attr, value in list(node.attrib.items()):
            if "url(#" in value:
                node.set(attr, _ID.sub(lambda m: f"url(#{prefix}{m.group(1)})", value))
        if node.get(href, "").startswith("#"):
            node.set(href, "#" + prefix + node.attrib[href][1:])
        if node.tag == f"{{{SVG_NS}}}text":
            # The font (and colour) Vega drew the text with, as inline style: a page's CSS
            # for svg text must not change widths that legends and labels were laid out for.
            style = [f"{k}: {node.attrib.pop(k)}" for k in _FONT if k in node.attrib]
            if style:
                node.set("style", "; ".join([*style, node.get("style", "")]).strip("; "))
        for attr in ("d", "transform", "points"):
            if attr in node.attrib:
                node.set(attr, _DIGITS.sub(r"\1", node.attrib[attr]))
        if id(node) in texts:
            node.set("pointer-events", "none")
        if node.get("role") == "graphics-symbol":
            node.attrib.pop("aria-roledescription", None)
            tip = node.attrib.pop("aria-label", None)
            if tip and id(node) not in many and id(node) not in texts:
                # The title is the accessible name and the hover text at once.
                title = ET.Element(f"{{{SVG_NS}}}title")
                title.text = tip
                node.insert(0, title)
    return Html(ET.tostring(root, encoding="unicode"))
