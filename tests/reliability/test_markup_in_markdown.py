"""Markup in file names and header text reaches the ingest reconciliation Markdown (the
``ingest-reconciliation`` artifact and ``twin ingest --markdown``) as text, never as HTML or a
link: the file is rendered with a real CommonMark renderer (markdown-it-py, HTML allowed as
Prefect's UI allows it) and the result is searched for what a browser would run."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from tests.reliability.faulttable import Fault, FaultTable
from twin_cli import app
from twin_core.settings import Settings

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"
LINK = "[click](javascript:alert(1))"
AUTOLINK = "<javascript:alert(1)>"

# (file under landing/, content): names and header text an extract can carry.
FILES = {
    f"suppliers/{IMG}.csv": "supplier_id,name\nS1,Acme\n",
    f"suppliers/{LINK}.csv": "supplier_id,name\nS2,Bolt\n",
    # Extra columns named with markup: listed in the "extra columns" cell.
    "suppliers/extra.csv": f'supplier_id,name,"{SCRIPT}","{AUTOLINK}"\nS3,Cog,a,b\n',
    # A missing required column: the reason lists the file's header, markup and all.
    "suppliers/short.csv": f'supplier_id,"{SCRIPT} **bold** `code` | cell"\nS4,x\n',
}

# What must not be in the rendered HTML: an element or a link a browser would act on.
FORBIDDEN = re.compile(r"<(img|script|a)\b|href=|javascript:[^<]*</a>", re.IGNORECASE)


def _text(rendered: str) -> str:
    """The rendered HTML's text, as a reader sees it."""
    return html.unescape(re.sub(r"<[^>]+>", " ", rendered))


@pytest.fixture
def rendered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    settings = Settings(home=tmp_path / "home")
    for rel, content in FILES.items():
        path = settings.landing_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    monkeypatch.setenv("TWIN_HOME", str(settings.home))
    monkeypatch.delenv("TWIN_CONFIG", raising=False)
    target = tmp_path / "recon.md"
    done = CliRunner().invoke(app, ["ingest", "--markdown", str(target)])
    assert done.exit_code == 0, done.output
    source = target.read_text(encoding="utf-8")
    return source, MarkdownIt("commonmark", {"html": True}).enable("table").render(source)


def test_markup_from_extracts_renders_as_text(
    rendered: tuple[str, str], fault_table: FaultTable
) -> None:
    """No image, script or link element comes out of the rendered reconciliation, and every
    name is still there to read, as the extract spelled it."""
    _, out = rendered
    found = FORBIDDEN.findall(out)
    text = _text(out)
    shown = [s for s in (IMG, SCRIPT, LINK, AUTOLINK, "**bold** `code` | cell") if s in text]
    fault_table.add(
        Fault(
            "input",
            "markup in file names and header text (`<img onerror>`, `<script>`, "
            "`javascript:` links) in the ingest reconciliation Markdown",
            f"rendered by CommonMark with HTML on: {len(found)} element(s) or link(s); "
            f"{len(shown)} of 5 hostile strings shown as text",
            0,
        )
    )
    assert found == [], out
    assert shown == [IMG, SCRIPT, LINK, AUTOLINK, "**bold** `code` | cell"], text


def test_each_file_stays_one_table_row(rendered: tuple[str, str]) -> None:
    """A ``|`` or newline in a name cannot add cells or rows: one row per file plus totals."""
    _, out = rendered
    body = out.split("<tbody>")[1]
    rows = body.split("</tr>")[:-1]
    assert len(rows) == len(FILES) + 1  # one per file, then the totals
    assert [r.count("<td") for r in rows] == [9] * len(rows)
