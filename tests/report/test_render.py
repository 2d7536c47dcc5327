"""The template layer: escaping, long texts, folded rows and the Content-Security-Policy."""

from __future__ import annotations

import base64
import hashlib
import html

from markupsafe import Markup

from twin_core.report.html import Html
from twin_core.report.render import csp, macro, page, split_long, table_view

HOSTILE = """<script>alert("x")</script> & 'q'"""


def test_every_value_is_escaped_like_esc_and_only_markup_passes() -> None:
    """Cells are escaped with html.escape's rules (&quot; and &#x27;); Markup is kept."""
    t = table_view(["a", "b"], [[HOSTILE, Markup("<b>kept</b>")]], caption=HOSTILE)
    out = macro("data_table", t)
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;q&#x27;" in out
    assert "<script>" not in out
    assert "<b>kept</b>" in out


def test_a_chart_fragment_goes_in_as_is_and_its_caption_is_escaped() -> None:
    fig = macro("figure", Html('<svg class="chart"><rect/></svg>'), HOSTILE)
    assert '<svg class="chart"><rect/></svg>' in fig
    assert "<script>" not in fig


def test_a_long_text_folds_after_its_first_words_and_loses_nothing() -> None:
    text = " ".join(f"word{i}" for i in range(80))
    head, tail = split_long(text, 100)
    assert head + tail == text
    assert len(head) <= 100 and tail.startswith(" ")  # cut between words, not inside one
    assert split_long("short", 100) == ("short", "")
    out = macro("data_table", table_view(["t"], [[text]]))
    assert '<details class="long">' in out
    assert out.count("word79") == 1


def test_rows_beyond_shown_fold_into_details_with_their_count() -> None:
    t = table_view(["n"], [[i] for i in range(8)], shown=3, more="5 more row(s)")
    out = macro("data_table", t)
    front, _, rest = out.partition("<details")
    assert front.count("<tr>") == 4  # header and three rows
    assert "5 more row(s)" in rest and rest.count("<tr>") == 6
    assert table_view(["n"], [[1]], shown=3).shown is None  # nothing to fold


def _hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def test_the_policy_allows_the_check_script_and_the_scripts_a_page_adds_nothing_else() -> None:
    """No fetch at all; scripts only by hash (the check script, and any a chart library adds)."""
    extra = "console.log(1);"
    policy = csp([extra])
    assert policy.startswith("default-src 'none';")
    assert _hash(extra) in policy
    assert "unsafe-eval" not in policy and "'unsafe-inline'" not in policy.split("script-src")[1]
    doc = page("scenario.html.j2", "t", scripts=[extra], **_scenario_context())
    assert doc.count("<script>") == 2 and f"<script>{extra}</script>" in doc
    scripts = [s.split("</script>")[0] for s in doc.split("<script>")[1:]]
    policy_in_page = html.unescape(doc.split('content="', 1)[1].split('"', 1)[0])
    assert all(_hash(s) in policy_in_page for s in scripts)


def _scenario_context() -> dict[str, object]:
    empty = table_view(["x"], [])
    return {
        "name": "n",
        "meta": "m",
        "parameters": [],
        "not_modelled": [],
        "lines": empty,
        "fans": [],
        "stockouts": empty,
        "changes": empty,
    }
