"""On the synthetic plant, every injected fault produces an instruction for the right department.

The plant is generated once per module (``twin_core.synth.generate``), ingested, validated and
rebuilt through the library entry points the nightly calls; each fault is checked on a
snapshot taken while it is visible (a degrading bearing the day before it fails, a sensor
fault on its last day, everything else on the last generated day). A fault the generator did
not inject, or whose twin table has no rows for that day, fails: it is never passed or skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb
import pytest

from twin_core.ingest import ingest_landing
from twin_core.rebuild import rebuild_snapshot
from twin_core.report import Instruction, build_reports
from twin_core.settings import Settings
from twin_core.synth.generator import generate
from twin_core.synth.truth import DIRT_KINDS, Fault, GroundTruth
from twin_core.validation import validate_pending

pytestmark = pytest.mark.slow

DAYS, START, SEED = 14, date(2026, 3, 2), 7


@dataclass
class SynthTwin:
    """A warehouse loaded with the synthetic plant; snapshots and reports made on demand."""

    settings: Settings
    truth: GroundTruth
    _reports: dict[date, list[Instruction]] = field(default_factory=dict)

    @property
    def last_day(self) -> date:
        return self.truth.start + timedelta(days=self.truth.days - 1)

    def instructions(self, as_of: date) -> list[Instruction]:
        if as_of not in self._reports:
            snapshot_id = rebuild_snapshot(self.settings, as_of)
            result = build_reports(self.settings, snapshot_id=snapshot_id)
            self._reports[as_of] = [Instruction(**row) for row in result.instructions]
        return self._reports[as_of]

    def rows(self, table: str, as_of: date) -> int:
        self.instructions(as_of)
        con = duckdb.connect(str(self.settings.warehouse_path), read_only=True)
        try:
            found = con.execute(
                "select count(*) from duckdb_tables() where schema_name = 'history' "
                "and table_name = ?",
                [table],
            ).fetchone()
            if not found or found[0] == 0:
                return 0
            row = con.execute(
                f"select count(*) from history.{table} t join history.snapshots s "
                "using (snapshot_id) where s.as_of = ?",
                [as_of],
            ).fetchone()
            return int(row[0]) if row else 0
        finally:
            con.close()


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynthTwin]:
    home = tmp_path_factory.mktemp("synth-report") / "home"
    truth = generate(home, DAYS, START, SEED)
    settings = Settings(home=home, timezone=truth.timezone)
    for d in (settings.landing_dir, settings.reports_dir, settings.validation_dir):
        d.mkdir(parents=True, exist_ok=True)
    ingest_landing(settings)
    validate_pending(settings, as_of=START + timedelta(days=DAYS - 1))
    yield SynthTwin(settings, truth)


@dataclass(frozen=True)
class Expect:
    """Which snapshot shows a fault, which twin tables carry it, and the item that answers it."""

    department: str
    tables: tuple[str, ...]
    as_of: Callable[[Fault, date], date]
    matches: Callable[[Instruction, Fault], bool]


def _last(_: Fault, last: date) -> date:
    return last


def _names(i: Instruction, *ids: str) -> bool:
    text = f"{i.entity_id} {i.action}"
    return all(x in text for x in ids)


EXPECTED: dict[str, Expect] = {
    "bearing_degradation": Expect(
        "maintenance",
        ("machine_health",),
        lambda f, _: f.end.date() - timedelta(days=1),
        lambda i, f: i.entity_id == f.entities["machine_id"],
    ),
    "machine_failure": Expect(
        "maintenance",
        ("machine_health",),
        lambda f, _: f.start.date() - timedelta(days=1),
        lambda i, f: i.entity_id == f.entities["machine_id"],
    ),
    "stuck_sensor": Expect(
        "maintenance",
        ("sensor_status",),
        lambda f, _: f.end.date(),
        lambda i, f: i.entity_type == "sensor" and i.entity_id == f.entities["sensor_id"],
    ),
    "sensor_dropout": Expect(
        "maintenance",
        ("sensor_status",),
        lambda f, _: f.end.date(),
        lambda i, f: i.entity_type == "sensor" and i.entity_id == f.entities["sensor_id"],
    ),
    "temperature_drift": Expect(
        "quality",
        ("quality_drift",),
        _last,
        lambda i, f: _names(i, f.entities["machine_id"]),
    ),
    "quality_mean_shift": Expect(
        "quality",
        ("spc_violations", "lots_to_hold"),
        _last,
        lambda i, f: (
            _names(i, f.entities["product_id"])
            and (f.entities["characteristic"] in i.entity_id + i.action + i.reason)
        ),
    ),
    "late_supplier": Expect(
        "procurement",
        ("supplier_performance",),
        _last,
        lambda i, f: f.entities["supplier_id"] in i.action,
    ),
    "stockout_risk": Expect(
        "procurement",
        ("material_status",),
        _last,
        lambda i, f: i.entity_id == f.entities["material_id"],
    ),
    "demand_spike": Expect(
        "production",
        ("line_forecast",),
        _last,
        lambda i, f: i.line_id == f.entities["line_id"] and i.priority <= 2,
    ),
    "complaint_revision": Expect(
        "engineering",
        ("feedback_insights",),
        _last,
        lambda i, f: i.entity_id == f"{f.entities['product_id']}@{f.entities['revision']}",
    ),
}


def _faults() -> list[str]:
    return sorted(EXPECTED)


@pytest.mark.parametrize("kind", _faults())
def test_injected_fault_gets_an_instruction_for_its_department(synth: SynthTwin, kind: str) -> None:
    """The fault's department has an instruction naming the fault's entity."""
    expect = EXPECTED[kind]
    faults = synth.truth.of_kind(kind)
    assert faults, f"the generator injected no {kind} in {DAYS} days"
    for fault in faults:
        as_of = min(expect.as_of(fault, synth.last_day), synth.last_day)
        assert any(synth.rows(t, as_of) for t in expect.tables), (
            f"history.{'/'.join(expect.tables)} has no rows for {as_of}"
        )
        items = [i for i in synth.instructions(as_of) if i.department == expect.department]
        hits = [i for i in items if expect.matches(i, fault)]
        assert hits, f"no {expect.department} item for {kind} {fault.entities} as of {as_of}"


def test_every_process_fault_kind_has_an_expectation(synth: SynthTwin) -> None:
    """No fault the generator can inject (dirt aside) goes unchecked here."""
    kinds = {f.kind for f in synth.truth.faults} - set(DIRT_KINDS)
    assert kinds <= set(EXPECTED)


def test_dirty_rows_show_in_the_quality_report(synth: SynthTwin) -> None:
    """Invalid values and the malformed file are listed by source in the data-quality section."""
    synth.instructions(synth.last_day)
    page = (synth.settings.reports_dir / synth.last_day.isoformat() / "quality.html").read_text()
    sources = {
        f.entities["source"]
        for f in synth.truth.faults
        if f.kind in ("invalid_values", "malformed_file") and "source" in f.entities
    }
    assert sources
    missing = [s for s in sorted(sources) if f"<td>{s}</td>" not in page]
    assert missing == []
