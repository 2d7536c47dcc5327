"""scripts/reliability_table.py replaces only the README's Reliability section, from the suite's file."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "reliability_table.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reliability_table", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DOC = {
    "written_at": "2026-03-03T00:00:00+00:00",
    "faults": [
        {
            "kind": "crash",
            "fault": "`a.b`",
            "happened": "killed | ok",
            "rows_lost": 0,
            "seconds": 1,
        },
    ],
}


def test_the_table_replaces_only_the_text_between_the_markers() -> None:
    """Text before and after the markers stays; the rows come from the suite's file."""
    s = _script()
    readme = f"# x\nbefore\n{s.START}\nold table\n{s.END}\nafter\n"
    updated = s.replace_section(readme, s.render(DOC))
    assert updated.startswith(f"# x\nbefore\n{s.START}\n")
    assert updated.endswith(f"{s.END}\nafter\n")
    assert "| `a.b` | killed \\| ok | 0 |" in updated
    assert "old table" not in updated


def test_a_readme_without_the_markers_is_refused() -> None:
    """No markers: the script stops instead of appending somewhere."""
    s = _script()
    with pytest.raises(SystemExit, match="markers"):
        s.replace_section("# x\n", s.render(DOC))


def test_a_kind_without_a_heading_gets_a_section_of_its_own() -> None:
    """A new test file's kind shows after the known ones, under its own name, not dropped."""
    s = _script()
    doc = {
        "written_at": "x",
        "faults": [
            {"kind": "wal", "fault": "stale WAL", "happened": "moved aside", "rows_lost": 0},
            *DOC["faults"],  # type: ignore[misc]
        ],
    }
    table = s.render(doc)
    assert table.index("**Nightly killed (SIGKILL) at a crash point") < table.index("**Wal**")
    assert "| stale WAL | moved aside | 0 |" in table


def test_markup_in_a_cell_shows_as_text() -> None:
    """HTML from an extract quoted in a reason is escaped, except inside a code span."""
    s = _script()
    doc = {
        "written_at": "x",
        "faults": [
            {"kind": "input", "fault": "`<b>`", "happened": "<script>x</script>", "rows_lost": 0}
        ],
    }
    assert "| `<b>` | &lt;script&gt;x&lt;/script&gt; | 0 |" in s.render(doc)
