"""twin_core.markdown.md_text: extract text as literal Markdown, checked with a CommonMark renderer."""

from __future__ import annotations

import html

import pytest
from markdown_it import MarkdownIt

from twin_core.markdown import md_text

RENDER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


@pytest.mark.parametrize(
    "text",
    [
        "<img src=x onerror=alert(1)>",
        "<script>alert('x')</script>",
        "[click](javascript:alert(1))",
        "![img](http://evil/x.png)",
        "<https://evil.example>",
        "**bold** _em_ `code` ~~gone~~",
        "&lt;already an entity&gt;",
        "back\\slash \\*",
        "# not a heading",
    ],
)
def test_text_renders_as_itself_and_nothing_else(text: str) -> None:
    """Rendered inside a paragraph, the text comes out as one paragraph holding exactly the
    text: no element, no link, no emphasis, no entity decoded."""
    out = RENDER.render("x " + md_text(text)).strip()
    assert out.startswith("<p>x ") and out.endswith("</p>"), out
    inner = out[len("<p>x ") : -len("</p>")]
    assert "<" not in inner, out
    assert html.unescape(inner) == text


def test_newlines_and_pipes_stay_inside_one_table_cell() -> None:
    table = f"| a | b |\n|---|---|\n| {md_text('x | y' + chr(10) + '| z |')} | 1 |\n"
    out = RENDER.render(table)
    assert out.count("<tr>") == 2 and out.count("<td>") == 2, out
