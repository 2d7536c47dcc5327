"""A tiny autoescaping HTML builder and the page frame of the reports.

Every string that is not already ``Html`` is escaped when it goes into an element, an
attribute or a table cell, so free text from extracts (feedback, reason codes, ids,
quarantined raw values) always shows as text: a ``<script>`` in a complaint stays text.
``esc`` is the one escape helper; nothing else in the reports builds markup from strings.

Pages are self-contained: inline CSS, inline SVG, one inline script whose SHA-256 hash is
the only script the Content-Security-Policy allows, and no network fetch of any kind.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["Html", "el", "esc", "join", "page", "table"]


class Html(str):
    """Text that is already safe markup (built by ``el`` or ``esc``); never escaped again."""

    __slots__ = ()


def esc(value: object) -> Html:
    """Escape text for HTML element content and quoted attributes (``&<>"'``)."""
    if isinstance(value, Html):
        return value
    return Html(html.escape("" if value is None else str(value), quote=True))


Child = object  # str (escaped), Html (kept), None (skipped), or an iterable of children


def _children(children: Iterable[Child]) -> str:
    parts: list[str] = []
    for c in children:
        if c is None:
            continue
        if isinstance(c, str):
            parts.append(esc(c))
        elif isinstance(c, Iterable):
            parts.append(_children(c))
        else:
            parts.append(esc(c))
    return "".join(parts)


def _attr_name(key: str) -> str:
    # class_ -> class, data_x -> data-x, stroke_width -> stroke-width; viewBox stays as is.
    return key.rstrip("_").replace("_", "-")


_VOID = frozenset({"meta", "br", "hr", "img", "input", "link", "col"})


def el(tag: str, *children: Child, **attrs: Any) -> Html:
    """An element; attribute values and string children are escaped. ``None`` or ``False``
    attributes are left out, ``True`` ones are written bare."""
    rendered = []
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        name = _attr_name(key)
        if value is True:
            rendered.append(f" {name}")
        else:
            rendered.append(f' {name}="{esc(value)}"')
    opening = f"<{tag}{''.join(rendered)}>"
    if tag in _VOID:
        return Html(opening)
    return Html(f"{opening}{_children(children)}</{tag}>")


def join(items: Iterable[Child], sep: str = "") -> Html:
    return Html(esc(sep).join(_children([i]) for i in items))


def table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    numeric: Sequence[bool] | None = None,
    caption: str | None = None,
    class_: str = "data",
) -> Html:
    """A table; cells are escaped (``Html`` cells are kept), numeric columns right-aligned."""
    num = list(numeric) if numeric is not None else [False] * len(columns)
    head = el(
        "tr", [el("th", c, class_="num" if n else None) for c, n in zip(columns, num, strict=True)]
    )
    body = [
        el(
            "tr",
            [
                el("td", "" if v is None else v, class_="num" if n else None)
                for v, n in zip(r, num, strict=False)
            ],
        )
        for r in rows
    ]
    return el("table", el("caption", caption) if caption else None, head, body, class_=class_)


CSS = """
:root { --ink: #1d2733; --muted: #5b6876; --line: #d6dde4; --bad: #c0392b; --warn: #d68910;
        --ok: #1e8449; --accent: #2563a6; --band: #aac7e6; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1200px; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px;
     border-bottom: 2px solid var(--line); padding-bottom: 4px; } h3 { font-size: 15px; margin: 16px 0 6px; }
.meta, .note, caption { color: var(--muted); font-size: 12px; }
caption { text-align: left; caption-side: bottom; padding-top: 4px; }
nav a { margin-right: 12px; }
table.data { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
table.data th, table.data td { border-bottom: 1px solid var(--line); padding: 4px 6px; vertical-align: top;
       text-align: left; } table.data th { background: #f3f6f9; font-weight: 600; }
.num { text-align: right !important; font-variant-numeric: tabular-nums; white-space: nowrap; }
.p1 { color: #fff; background: var(--bad); } .p2 { color: #fff; background: var(--warn); }
.p3, .p4, .p5 { color: #fff; background: var(--muted); }
.badge { border-radius: 3px; padding: 0 6px; font-size: 12px; font-weight: 600; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; min-width: 150px; }
.card b { display: block; font-size: 20px; }
.grid { display: flex; flex-wrap: wrap; gap: 16px; }
.grid figure { margin: 0; }
figure figcaption { color: var(--muted); font-size: 12px; max-width: 560px; }
svg.chart { display: block; background: #fff; }
svg.chart text { font: 11px system-ui, sans-serif; fill: var(--ink); }
.scroll { overflow-x: auto; }
.na { color: var(--muted); font-style: italic; }
.coverage { padding: 6px 10px; border-radius: 4px; margin: 8px 0; font-size: 13px; }
.coverage.ok { color: var(--muted); }
.coverage.warn { background: #fff4e5; border: 1px solid #e8a33d; }
details.more summary { cursor: pointer; color: var(--muted); margin: 4px 0; }
.reason { color: var(--muted); font-size: 12px; }
"""

# Records in the DOM whether every chart has a drawn, non-empty box, and any script error,
# so a headless browser (tests/report) can check the page without a debugging protocol.
CHECK_SCRIPT = """
(function () {
  var errors = [];
  window.addEventListener("error", function (e) { errors.push(String(e.message)); });
  var charts = document.querySelectorAll("svg.chart");
  var drawn = 0;
  for (var i = 0; i < charts.length; i++) {
    var box = charts[i].getBoundingClientRect();
    var content = charts[i].getBBox();
    var marks = charts[i].querySelectorAll("rect, path, polyline, polygon, circle, line").length;
    if (box.width > 0 && box.height > 0 && content.width > 0 && content.height > 0 && marks > 0) {
      drawn++;
    }
  }
  document.body.setAttribute("data-charts", String(charts.length));
  document.body.setAttribute("data-charts-drawn", String(drawn));
  document.body.setAttribute("data-errors", errors.join(" | "));
})();
""".strip()


def _script_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def page(title: str, body: Iterable[Child]) -> str:
    """A complete, self-contained HTML document."""
    csp = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src '{_script_hash(CHECK_SCRIPT)}'; base-uri 'none'; form-action 'none'"
    )
    head = Html(
        '<meta charset="utf-8">'
        + el("meta", http_equiv="Content-Security-Policy", content=csp)
        + el("meta", name="viewport", content="width=device-width, initial-scale=1")
        + el("title", title)
        + f"<style>{CSS}</style>"
    )
    return (
        "<!doctype html>\n"
        + f'<html lang="en"><head>{head}</head>'
        + f"<body>{_children(body)}"
        + f"<script>{CHECK_SCRIPT}</script></body></html>\n"
    )
