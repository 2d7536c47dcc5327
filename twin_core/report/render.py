"""The reports' pages from Jinja2 templates (``twin_core/report/templates/``).

Autoescape is on for every template, and every ``{{ value }}`` goes through ``html.escape``
(``&<>"'``) unless it is already markup: free text from extracts (feedback, reason codes,
ids, quarantined raw values) always shows as text, a ``<script>`` in a complaint stays text.
Chart fragments, which code draws, are inserted with ``|safe``.

Python turns frames into small view models (``Table`` of ``Cell``); the templates lay them
out. Pages are self-contained: inline CSS, inline charts, one inline script (``check.js``)
whose SHA-256 hash is the only script the Content-Security-Policy allows, and no network
fetch of any kind.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import polars as pl
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from twin_core.report.html import Html

__all__ = [
    "Cell",
    "Table",
    "cell",
    "csp",
    "frame_view",
    "macro",
    "note_view",
    "page",
    "table_view",
]


def _finalize(value: object) -> object:
    """What ``{{ value }}`` prints: markup as is, everything else escaped like ``esc``."""
    if value is None:
        return ""
    if hasattr(value, "__html__"):
        return value
    return Markup(html.escape(str(value), quote=True))


ENV = Environment(
    loader=PackageLoader("twin_core.report", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    finalize=_finalize,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def cell(v: Any) -> str:
    """A value as a table shows it: floats to 2 decimals (0 for big ones), dates ISO."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if not math.isfinite(v):
            return ""
        return f"{v:.0f}" if abs(v) >= 1000 else f"{v:.2f}"
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return ", ".join(cell(x) for x in v)
    text = str(v)
    if text.startswith("[") and text.endswith("]"):
        # A JSON list column (lots, lines, themes) reads as a list, not as JSON.
        try:
            items = json.loads(text)
        except ValueError:
            return text
        if isinstance(items, list):
            return ", ".join(cell(x) for x in items)
    return text


# Text longer than this shows its first words and folds the rest into <details> (the page
# stays short; nothing is cut: the whole text is in the page).
LONG_TEXT = 160


def split_long(text: str, limit: int = LONG_TEXT) -> tuple[str, str]:
    """``text`` as (head, tail): tail empty when short, else cut at a space near ``limit``."""
    if len(text) <= limit:
        return text, ""
    cut = text.rfind(" ", 0, limit)
    cut = cut if cut > limit // 2 else limit
    return text[:cut], text[cut:]


@dataclass(frozen=True)
class Cell:
    """One table cell: text (escaped) or markup from a macro, and an optional CSS class.
    ``tail``: the rest of a long text, shown when the reader opens it."""

    text: str | Markup
    cls: str | None = None
    tail: str = ""

    @classmethod
    def of(cls, text: str, css: str | None = None) -> Cell:
        head, tail = split_long(text)
        return cls(head, css, tail)


@dataclass(frozen=True)
class Table:
    """A table to show: header, rows, which columns are numbers, the caption naming the
    source. The first ``shown`` rows are open; the rest sit below in a collapsed
    ``<details>`` labelled ``more``. ``note`` instead of rows: nothing to show, and why."""

    columns: Sequence[str] = ()
    rows: Sequence[Sequence[Cell]] = ()
    numeric: Sequence[bool] = ()
    caption: str = ""
    shown: int | None = None
    more: str = ""
    note: str | None = None
    footer: str | None = None
    id: str | None = None

    @property
    def head(self) -> Sequence[Sequence[Cell]]:
        return self.rows if self.shown is None else self.rows[: self.shown]

    @property
    def rest(self) -> Sequence[Sequence[Cell]]:
        return () if self.shown is None else self.rows[self.shown :]


def _cells(row: Sequence[Any]) -> list[Cell]:
    out = []
    for v in row:
        if isinstance(v, Cell):
            out.append(v)
        elif isinstance(v, Markup):
            out.append(Cell(v))
        else:
            out.append(Cell.of(cell(v)))
    return out


def table_view(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    numeric: Sequence[bool] | None = None,
    caption: str = "",
    shown: int | None = None,
    more: str = "",
) -> Table:
    """A table from rows of values (formatted with ``cell``), ``Cell`` or ``Markup``."""
    body = [_cells(r) for r in rows]
    if shown is not None and len(body) <= shown:
        shown = None
    return Table(
        columns=list(columns),
        rows=body,
        numeric=list(numeric) if numeric is not None else [False] * len(columns),
        caption=caption,
        shown=shown,
        more=more or (f"{len(body) - shown} more row(s)" if shown is not None else ""),
    )


def note_view(text: str) -> Table:
    return Table(note=text)


def not_available_text(what: str, table_name: str) -> str:
    return f"{what}: not available ({table_name} does not exist in this warehouse)."


def frame_view(
    frame: pl.DataFrame | None,
    *,
    source: str,
    what: str,
    columns: Sequence[str] | None = None,
    limit: int = 50,
    shown: int | None = None,
) -> Table:
    """A polars frame as a table (first ``limit`` rows; the first ``shown`` open), with its
    source in the caption."""
    if frame is None:
        return note_view(not_available_text(what, source))
    if frame.is_empty():
        return note_view(f"{what}: none in this snapshot ({source}).")
    cols = [c for c in (columns or frame.columns) if c in frame.columns]
    head = frame.select(cols).head(limit)
    more = f"; first {limit} of {frame.height} rows" if frame.height > limit else ""
    return table_view(
        cols,
        head.iter_rows(),
        numeric=[head.schema[c].is_numeric() for c in cols],
        caption=f"Source: {source}{more}.",
        shown=shown,
        more=f"{head.height - shown} more row(s)" if shown is not None else "",
    )


def macro(name: str, *args: Any, **kwargs: Any) -> Html:
    """One macro of ``macros.html.j2`` rendered to a fragment (for code that composes
    pages piece by piece, such as the figure functions)."""
    return Html(str(getattr(_macros(), name)(*args, **kwargs)))


@functools.cache
def _macros() -> Any:
    """The macros template as a module (built once: ``.module`` renders the template)."""
    return ENV.get_template("macros.html.j2").module


def _source(name: str) -> str:
    """A template file's text as is (CSS and JavaScript are not Jinja templates)."""
    assert ENV.loader is not None
    return ENV.loader.get_source(ENV, name)[0]


def _script_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def check_script() -> str:
    """The page's one script: records chart, error and height facts on <body>."""
    return _source("check.js").strip()


def csp(scripts: Sequence[str] = ()) -> str:
    """The Content-Security-Policy: no fetch at all, inline styles, and only the scripts
    whose hashes it lists (the check script and any ``scripts`` a chart library needs)."""
    hashes = " ".join(f"'{_script_hash(s)}'" for s in (check_script(), *scripts))
    return (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src {hashes}; base-uri 'none'; form-action 'none'"
    )


@dataclass(frozen=True)
class PageFrame:
    """What the base template needs besides the page's own context."""

    title: str
    csp: str
    check_script: Markup
    css: Markup
    scripts: Sequence[Markup] = field(default_factory=list)


def page(template: str, title: str, *, scripts: Sequence[str] = (), **context: Any) -> str:
    """A complete, self-contained HTML document from ``template`` (which extends
    ``base.html.j2``). ``scripts`` are extra inline scripts (allowed by hash)."""
    frame = PageFrame(
        title=title,
        csp=csp(scripts),
        check_script=Markup(check_script()),
        css=Markup(_source("report.css")),
        scripts=[Markup(s) for s in scripts],
    )
    return ENV.get_template(template).render(frame=frame, **context)
