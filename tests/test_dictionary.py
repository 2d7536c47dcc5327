"""The data dictionary (docs/dictionary.md) is generated from the table declarations and kept
current."""

from __future__ import annotations

from pathlib import Path

from twin_core.dictionary import DICTIONARY_PAGE, render_markdown, render_page, replace_in, write

README = Path(__file__).resolve().parent.parent / "README.md"


def test_dictionary_page_matches_the_declarations() -> None:
    """docs/dictionary.md holds exactly what `twin dictionary --write docs/dictionary.md`
    generates (run it after changing twin_core/tables.py)."""
    assert DICTIONARY_PAGE.read_text(encoding="utf-8") == render_page()


def test_readme_links_the_dictionary() -> None:
    """The README points to the page instead of holding the dictionary."""
    text = README.read_text(encoding="utf-8")
    assert "docs/dictionary.md" in text
    assert "<!-- dictionary:start -->" not in text


def test_every_query_surface_table_is_documented() -> None:
    """Each twin table of docs/definitions.md's query surface appears in the dictionary."""
    md = render_markdown()
    for name in (
        "twin.snapshots",
        "twin.machine_day",
        "twin.machine_health",
        "twin.sensor_status",
        "twin.line_forecast",
        "twin.material_status",
        "twin.supplier_performance",
        "twin.spc_limits",
        "twin.spc_violations",
        "twin.capability",
        "twin.feedback_insights",
        "report.instructions",
        "quality.validation_runs",
        "quality.quarantine",
    ):
        assert f"`{name}`" in md


def test_every_dictionary_row_has_a_meaning() -> None:
    """No column row of the dictionary has an empty meaning."""
    rows = [line for line in render_markdown().splitlines() if line.startswith("| ")]
    assert rows
    assert not [r for r in rows if r.endswith("|  |")]


def test_write_replaces_only_between_the_markers(tmp_path: Path) -> None:
    """A page with the markers keeps its own text around them; a new page is written whole."""
    page = tmp_path / "d.md"
    page.write_text("# mine\n<!-- dictionary:start -->\nold\n<!-- dictionary:end -->\ntail\n")
    write(page)
    text = page.read_text()
    assert text.startswith("# mine\n") and text.endswith("tail\n")
    assert text == replace_in(
        "# mine\n<!-- dictionary:start -->\nx<!-- dictionary:end -->\ntail\n", render_markdown()
    )
    fresh = tmp_path / "new.md"
    write(fresh)
    assert fresh.read_text() == render_page()
