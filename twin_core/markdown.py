"""Text from extracts (file names, header names, reasons quoting values) made inert in Markdown.

Prefect renders artifacts as Markdown with HTML, and ``twin ingest --markdown`` writes a file
someone opens in a viewer: a file named ``<img src=x onerror=alert(1)>.csv`` or a header
``[x](javascript:alert(1))`` must show as that text, never run or link. ``md_text`` turns HTML's
special characters into entities (shown literally by every renderer) and puts a backslash
before the Markdown punctuation that starts emphasis, code, links, images, headings and table
cells (CommonMark's backslash escapes), and keeps the text on one line.
"""

from __future__ import annotations

import html
import re

# CommonMark punctuation that starts markup inside a line: emphasis, code, links and images
# (with ``[`` and ``]`` escaped, ``(`` and ``!`` start nothing), table cells, strikethrough.
# ``<``, ``>`` and ``&`` become entities instead (html.escape): no raw HTML, no autolink.
_MARKUP = re.compile(r"([\\`*_\[\]|~])")


def md_text(value: object) -> str:
    """``value`` as literal text in Markdown (a table cell, a line): nothing in it renders
    as markup, HTML or a link."""
    text = " ".join(str(value).split())  # newlines would end a table row
    # Backslashes first, then entities: an entity's ``#`` must not get one. Quotes stay: with
    # ``<`` an entity, no text can open an HTML attribute for them to close.
    return html.escape(_MARKUP.sub(r"\\\1", text), quote=False)
