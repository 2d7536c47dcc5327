"""`twin dictionary` and `twin migration`: generated from the table declarations."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from twin_cli import app
from twin_core.dictionary import render_markdown, render_page
from twin_core.warehouse import SCHEMA_DIR

runner = CliRunner()


def test_dictionary_prints_and_writes_the_page(tmp_path: Path) -> None:
    printed = runner.invoke(app, ["dictionary"])
    assert printed.exit_code == 0, printed.output
    assert printed.output == render_markdown()
    page = tmp_path / "dictionary.md"
    written = runner.invoke(app, ["dictionary", "--write", str(page)])
    assert written.exit_code == 0, written.output
    assert page.read_text(encoding="utf-8") == render_page()


def test_migration_writes_what_the_migrations_lack_or_nothing() -> None:
    """When the migrations create every declared table and column nothing is written; when a
    column is declared and not migrated, the file holds its `alter table add column`."""
    from twin_core.tables import migration_sql
    from twin_core.warehouse import apply_schema, connect

    con = connect(":memory:")
    apply_schema(con)
    expected = migration_sql(con)
    con.close()
    before = sorted(p.name for p in SCHEMA_DIR.glob("*.sql"))
    target = SCHEMA_DIR / "109_declared_additions.sql"
    try:
        result = runner.invoke(app, ["migration", "109_declared_additions"])
        assert result.exit_code == 0, result.output
        if expected:
            assert target.read_text(encoding="utf-8").endswith(expected)
        else:
            assert "nothing to write" in " ".join(result.output.split())
            assert sorted(p.name for p in SCHEMA_DIR.glob("*.sql")) == before
    finally:
        if expected:
            target.unlink(missing_ok=True)


def test_migration_refuses_a_bad_or_taken_name() -> None:
    bad = runner.invoke(app, ["migration", "NewThing"])
    assert bad.exit_code == 3
    assert "not like 110_machine_mtbf" in " ".join(bad.output.split())
    taken = runner.invoke(app, ["migration", "041_again"])
    assert taken.exit_code == 3
    assert "041 is taken" in " ".join(taken.output.split())
