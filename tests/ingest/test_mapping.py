"""Users map their export's column names to the contract with a TOML file per source."""

from __future__ import annotations

import pytest

from tests.ingest.conftest import drop, rows
from twin_core.ingest import MappingError, ingest_landing, load_mapping
from twin_core.settings import Settings


def _mapping(settings: Settings, source: str, text: str) -> None:
    folder = settings.home / "mappings"
    folder.mkdir(exist_ok=True)
    (folder / f"{source}.toml").write_text(text, encoding="utf-8")


def test_mapped_export_names_load_as_contract_columns(home: Settings) -> None:
    """'Machine ID' and 'Cycle (s)' are read as machine_id and ideal_cycle_time_s."""
    _mapping(
        home,
        "machines",
        '[columns]\n"Machine ID" = "machine_id"\n"Cycle (s)" = "ideal_cycle_time_s"\n',
    )
    header = "Machine ID,line_id,site_id,name,machine_type,line_position,Cycle (s)"
    drop(home, "machines", "m.csv", f"{header}\nM1,L1,S1,Press,press,1,2.5\n")
    (f,) = ingest_landing(home).files
    assert (f.status, f.extra_columns) == ("loaded", ())
    assert rows(home, "select machine_id, ideal_cycle_time_s from raw.machines") == [("M1", 2.5)]


def test_mapping_applies_to_json_keys(home: Settings) -> None:
    """A mapping renames JSON keys as it renames CSV headers."""
    _mapping(home, "suppliers", '[columns]\n"Lieferant Nr." = "supplier_id"\n')
    drop(home, "suppliers", "s.jsonl", '{"Lieferant Nr.": "SUP1", "name": "Acme"}\n')
    ingest_landing(home)
    assert rows(home, "select supplier_id, name, _extra from raw.suppliers") == [
        ("SUP1", "Acme", None)
    ]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[columns]\n"ID" = "machine_idd"\n', "machine_idd"),
        ('[colums]\n"ID" = "machine_id"\n', "colums"),
        ('[columns]\n"A" = "machine_id"\n"B" = "machine_id"\n', "several"),
        ("[columns\n", "TOML"),
    ],
)
def test_broken_mapping_fails_before_anything_is_read(home: Settings, text: str, says: str) -> None:
    """A mapping naming an unknown column, an unknown section, one column twice, or bad TOML
    stops the run with a clear error, and writes nothing."""
    _mapping(home, "machines", text)
    drop(home, "machines", "m.csv", "x\n1\n")
    with pytest.raises(MappingError, match=says):
        ingest_landing(home)
    assert rows(home, "select count(*) from ingest.files") == [(0,)]


def test_source_without_mapping_file_has_an_empty_mapping(home: Settings) -> None:
    """No file, no renaming: contract names are matched directly."""
    assert load_mapping(home, "machines").columns == {}
