"""The data dictionary (docs/dictionary.md) is generated from the schema and kept current."""

from __future__ import annotations

from pathlib import Path

from twin_core.dictionary import parse_schema, render_markdown, replace_in

README = Path(__file__).resolve().parent.parent / "docs" / "dictionary.md"


def test_readme_dictionary_matches_the_schema() -> None:
    """docs/dictionary.md holds exactly what `twin dictionary` generates (run it with --write after DDL changes)."""
    text = README.read_text(encoding="utf-8")
    assert replace_in(text, render_markdown()) == text


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


def test_column_comments_are_parsed(tmp_path: Path) -> None:
    """A grain comment before create table and a trailing column comment are both read."""
    (tmp_path / "001_x.sql").write_text(
        "-- One row per thing.\ncreate table if not exists history.things (\n"
        "    thing_id varchar not null,   -- the id\n    weight_kg double\n);\n"
    )
    (doc,) = parse_schema(tmp_path)
    assert doc.description == "One row per thing."
    assert doc.columns == [("thing_id", "VARCHAR", "the id"), ("weight_kg", "DOUBLE", "")]
