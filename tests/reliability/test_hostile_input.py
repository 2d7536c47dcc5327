"""Hostile and broken input in one nightly batch: each bad file or row is quarantined with a
clear reason, and everything else in the same batch loads and is promoted.

One landing folder holds every case below beside good master data and good rows; ingest and
validation run once (module fixture), then each case is checked against what they wrote.
Cases already pinned one by one elsewhere (tests/ingest/test_bad_files.py: empty, Latin-1,
semicolons; tests/validation/test_quarantine.py: NaN, inf, duplicate keys) are here for the
fault table and to show they go on together in one batch; the new ones are the links, the
pipe, binary garbage, the enormous line, the BOM, odd file names, 1e308, implausible years,
and SQL/markup/formula text carried end to end into a CSV export.
"""

from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from tests.reliability.faulttable import Fault, FaultTable
from twin_cli import app
from twin_core.ingest import ingest_landing
from twin_core.publish import publish
from twin_core.settings import Settings
from twin_core.validation import validate_pending

pytestmark = pytest.mark.slow

MACHINES = "machine_id,line_id,site_id,name,machine_type,line_position,ideal_cycle_time_s"
READINGS = "sensor_id,ts,value"
DAY = "2026-03-02"
# Text a spreadsheet would run, SQL a pasting program would run, markup a browser would run.
HOSTILE_TEXT = {
    "M20": "'); drop table core.machines; --",
    "M21": "<script>alert('x')</script>",
    "M22": '=HYPERLINK("http://evil","click")',
    "M23": "+cmd|' /C calc'!A0",
    "M24": "-2+3",
    "M25": "@SUM(A1:A2)",
}


@dataclass(frozen=True)
class Case:
    fault: str
    file: str  # relative to landing/
    stage: str  # where it must end: ingest / validation (quarantine) or loaded
    rule: str | None  # quarantine rule (None: loaded)
    says: str  # in the reason (quarantine) or in the stored value (loaded)
    rows: int = 1  # quarantine rows expected (whole file: 1)


CASES = (
    Case("symlink out of landing", "machines/link.csv", "ingest", "outside_landing", "outside the landing folder"),
    Case("symlink to a folder outside landing", "machines/linked_dir", "ingest", "outside_landing", "outside the landing folder"),
    Case("named pipe under a .csv name", "machines/pipe.csv", "ingest", "not_a_file", "not a regular file"),
    Case("0-byte file", "machines/empty.csv", "ingest", "empty_file", "0 bytes"),
    Case("binary garbage under .csv", "machines/garbage.csv", "ingest", "wrong_encoding", "not UTF-8"),
    Case("one enormous line (30 MB)", "machines/huge_line.csv", "ingest", "unparseable_file", "Maximum line size"),
    Case("wrong delimiter (;)", "machines/semicolon.csv", "ingest", "missing_column", "comma-separated"),
    Case("Latin-1 text in a UTF-8 source", "machines/latin1.csv", "ingest", "wrong_encoding", "UTF-8"),
    Case("byte-order mark", "machines/bom.csv", "loaded", None, "M30"),
    Case("odd file name (spaces, quotes, ;, $(), newline, unicode)", "machines/-x ;'$(rm -rf)\n☃.csv", "loaded", None, "M31"),
    Case("file name that looks like a path traversal", "machines/%2e%2e%2F%2e%2e%2Fetc%2Fpasswd.csv", "loaded", None, "M32"),
    Case("NaN, inf, -inf", "sensor_readings/nonfinite.csv", "validation", "expect_column_values_to_be_between:value", "outside the allowed range", 3),
    Case("1e308 and -1e308", "sensor_readings/huge.csv", "validation", "expect_column_values_to_be_between:value", "outside the allowed range", 2),
    Case("timestamps in year 9999 and before 1970", "sensor_readings/years.csv", "validation", "plausible_time", "is outside 1970-01-01 .. 2099-12-31", 3),
    Case("duplicate keys within a file", "sensor_readings/dupes.csv", "validation", "unique_key", "", 1),
    Case("SQL fragment in a text field", "machines/text.csv", "loaded", None, HOSTILE_TEXT["M20"]),
    Case("HTML/script in a text field", "machines/text.csv", "loaded", None, HOSTILE_TEXT["M21"]),
)  # fmt: skip


def _write(landing: Path, rel: str, content: str | bytes) -> None:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)


def _machines(*rows: str) -> str:
    return "\n".join([MACHINES, *rows]) + "\n"


def _readings(*rows: str) -> str:
    # Every readings file carries one good reading of its own: the rest of the file goes on.
    return "\n".join([READINGS, *rows]) + "\n"


def _land(landing: Path, outside: Path) -> None:
    _write(landing, "machines/good.csv", _machines("M1,L1,S1,Press,press,1,2.5"))
    _write(landing, "sensors/good.csv", "sensor_id,machine_id,metric,unit\nT1,M1,temperature,C\n")
    (outside / "secret.csv").write_text(_machines("M90,L1,S1,SECRET,press,1,2.5"))
    os.symlink(outside / "secret.csv", landing / "machines/link.csv")
    (outside / "dir").mkdir()
    (outside / "dir" / "m.csv").write_text(_machines("M91,L1,S1,SECRET,press,1,2.5"))
    os.symlink(outside / "dir", landing / "machines/linked_dir")
    os.mkfifo(landing / "machines/pipe.csv")
    _write(landing, "machines/empty.csv", b"")
    # High bytes only (no NUL, no newline): not text in any UTF, found by the decoder.
    rng = random.Random(13)
    _write(landing, "machines/garbage.csv", bytes(rng.randrange(0x80, 0x100) for _ in range(5000)))
    _write(
        landing,
        "machines/huge_line.csv",
        _machines("M2,L1,S1," + "x" * 30_000_000 + ",press,1,2.5"),
    )
    _write(
        landing, "machines/semicolon.csv", _machines("M3;L1;S1;Press;press;1;2.5").replace(",", ";")
    )
    _write(
        landing,
        "machines/latin1.csv",
        _machines("M4,L1,S1,Presse für Blech,press,1,2.5").encode("latin-1"),
    )
    _write(
        landing,
        "machines/bom.csv",
        b"\xef\xbb\xbf" + _machines("M30,L1,S1,Press,press,1,2.5").encode(),
    )
    _write(landing, "machines/-x ;'$(rm -rf)\n☃.csv", _machines("M31,L1,S1,Press,press,1,2.5"))
    _write(
        landing,
        "machines/%2e%2e%2F%2e%2e%2Fetc%2Fpasswd.csv",
        _machines("M32,L1,S1,Press,press,1,2.5"),
    )
    _write(
        landing,
        "machines/text.csv",
        "\n".join(
            [MACHINES]
            + [
                f'{m},L1,S1,"{t.replace(chr(34), 2 * chr(34))}",press,1,2.5'
                for m, t in HOSTILE_TEXT.items()
            ]
        )
        + "\n",
    )
    _write(
        landing,
        "sensor_readings/nonfinite.csv",
        _readings(
            f"T1,{DAY}T00:00:00,1.0",
            f"T1,{DAY}T00:01:00,NaN",
            f"T1,{DAY}T00:02:00,inf",
            f"T1,{DAY}T00:03:00,-inf",
        ),
    )
    _write(
        landing,
        "sensor_readings/huge.csv",
        _readings(
            f"T1,{DAY}T01:00:00,1.0", f"T1,{DAY}T01:01:00,1e308", f"T1,{DAY}T01:02:00,-1e308"
        ),
    )
    _write(
        landing,
        "sensor_readings/years.csv",
        _readings(
            f"T1,{DAY}T02:00:00,1.0",
            "T1,9999-12-31T23:59:59,2.0",
            "T1,1969-12-31T23:59:59,3.0",
            "T1,1900-01-01T00:00:00,4.0",
        ),
    )
    _write(landing, "sensor_readings/dupes.csv", _readings(f"T1,{DAY}T03:00:00,1.0", f"T1,{DAY}T03:00:00,1.5", f"T1,{DAY}T03:01:00,2.0"))  # fmt: skip


@dataclass
class Batch:
    settings: Settings
    files: dict[str, Any]  # file -> FileResult
    quarantine: dict[str, list[tuple[Any, ...]]]  # file -> (stage, rule, reason) rows
    machines: dict[str, str]  # core.machines: machine_id -> name
    readings: int  # rows in core.sensor_readings


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, fault_table: FaultTable) -> Batch:
    home = tmp_path_factory.mktemp("hostile") / "home"
    settings = Settings(home=home)
    _land(settings.landing_dir, tmp_path_factory.mktemp("outside"))
    result = ingest_landing(settings)
    validate_pending(settings, as_of=None)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        quarantine: dict[str, list[tuple[Any, ...]]] = {}
        for file, stage, rule, reason in con.execute(
            'select file, stage, rule, reason from quality.quarantine order by file, "row"'
        ).fetchall():
            quarantine.setdefault(str(file), []).append((stage, rule, reason))
        machines = dict(con.execute("select machine_id, name from core.machines").fetchall())
        row = con.execute("select count(*) from core.sensor_readings").fetchone()
    finally:
        con.close()
    out = Batch(
        settings, {f.file: f for f in result.files}, quarantine, machines, int(row[0]) if row else 0
    )
    for case in CASES:
        fault_table.add(Fault("input", case.fault, _happened(out, case), 0))
    return out


def _happened(b: Batch, case: Case) -> str:
    """What the run did with the case, in the table's words (from the run, never assumed)."""
    f = b.files.get(case.file)
    rows = b.quarantine.get(case.file, [])
    if case.stage == "loaded":
        stored = case.says in b.machines or case.says in b.machines.values()
        if f is not None and f.status == "loaded" and stored:
            return "loaded and promoted as data, stored verbatim; the rest of the batch too"
        return f"NOT loaded: {f}"
    if not rows:
        return f"NOT quarantined ({f.status if f else 'not found'})"
    stage, rule, reason = rows[0]
    # The links' targets are temporary paths of this run: shown as <outside>.
    reason = re.sub(r"/\S+/(secret\.csv|dir),", r"<outside>/\1,", str(reason))
    return f"{len(rows)} row(s) in quality.quarantine ({stage}, `{rule}`): {reason[:150]}"


@pytest.mark.parametrize("case", [c for c in CASES if c.stage != "loaded"], ids=lambda c: c.fault)
def test_bad_input_is_quarantined_with_its_rule_and_a_clear_reason(
    batch: Batch, case: Case
) -> None:
    """The file (ingest) or its bad rows (validation) are in quality.quarantine, saying why."""
    rows = batch.quarantine.get(case.file, [])
    expected = [(case.stage, case.rule)] * case.rows
    assert [(s, r) for s, r, _ in rows] == expected
    assert all(case.says.lower() in str(reason).lower() for _, _, reason in rows), rows


@pytest.mark.parametrize("case", [c for c in CASES if c.stage == "loaded"], ids=lambda c: c.fault)
def test_odd_but_valid_input_loads_verbatim(batch: Batch, case: Case) -> None:
    """A BOM, an odd file name or hostile text is data: loaded, promoted, stored as sent."""
    assert batch.files[case.file].status == "loaded"
    assert case.says in batch.machines or case.says in batch.machines.values()


def test_the_rest_of_the_batch_goes_on(batch: Batch) -> None:
    """Good master data and every good reading beside the bad ones reach core."""
    expected_machines = {"M1", "M30", "M31", "M32", *HOSTILE_TEXT}
    assert set(batch.machines) == expected_machines
    # One good reading in each readings file, plus the last of the duplicated key.
    assert batch.readings == 4 + 1


def test_nothing_from_outside_landing_is_read(batch: Batch) -> None:
    """The targets of the links never reach raw or core."""
    assert "SECRET" not in batch.machines.values()
    con = duckdb.connect(str(batch.settings.warehouse_path), read_only=True)
    try:
        row = con.execute("select count(*) from raw.machines where name = 'SECRET'").fetchone()
    finally:
        con.close()
    assert row == (0,)


def test_formula_text_is_escaped_in_a_csv_export(
    batch: Batch, monkeypatch: pytest.MonkeyPatch, fault_table: FaultTable
) -> None:
    """`twin query --format csv` prefixes text starting with = + - @ with a quote; the rest
    of the hostile text comes out as sent."""
    publish(batch.settings)
    monkeypatch.setenv("TWIN_HOME", str(batch.settings.home))
    monkeypatch.delenv("TWIN_CONFIG", raising=False)
    ids = ", ".join(f"'{m}'" for m in HOSTILE_TEXT)  # literals of this test, not of a file
    done = CliRunner().invoke(
        app,
        [
            "query",
            "--format",
            "csv",
            f"select name from core.machines where machine_id in ({ids}) order by machine_id",
        ],
    )
    assert done.exit_code == 0, done.output
    cells = done.output.splitlines()[1:]
    starts = [c.lstrip('"')[:2] for c in cells]
    expected = ["')", "<s", "'=", "'+", "'-", "'@"]
    fault_table.add(
        Fault(
            "input",
            "values starting with = + - @ in a CSV export (`twin query --format csv`)",
            "prefixed with ' so spreadsheets show them: " + ", ".join(cells[2:]),
            0,
        )
    )
    assert starts == expected, done.output
