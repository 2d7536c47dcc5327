"""``Html`` (markup that is never escaped again), ``esc`` and the tiny element builder the
hand-drawn SVG charts (svg.py, charts.py) still use.

Pages are Jinja2 templates (``render.py``, ``templates/``); every string that is not markup
is escaped with ``esc``'s rules, so free text from extracts always shows as text.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

__all__ = ["Html", "el", "esc", "join"]


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
