"""Run a what-if on a twin snapshot and store it next to the baseline.

Grain: one ``scenario.runs`` row per scenario; per scenario, the twin tables the scenario
can change (``scenario.line_forecast``, ``inventory_projection``, ``material_status``,
``uncovered_demand``), the nightly's instructions under each variant and the instructions
that change, each row tagged with its ``variant``:

- ``baseline``: the snapshot's inputs recomputed with the same code, horizon, replications
  and seed, no changes;
- ``scenario``: the same, with the machine outages, demand multipliers, supplier delays and
  extra shifts applied.

Both variants are computed in one run from the same inputs and the same random streams, so
every difference comes from the changes (not from sampling noise or from core data that
moved since the snapshot). Same snapshot, parameters and seed -> same scenario_id and the
same rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from twin_core import __version__
from twin_core.report.data import SnapshotInfo, load_report_data
from twin_core.report.rules import compute_instructions
from twin_core.scenario.report import report_dir, write_report
from twin_core.scenario.spec import ResolvedScenario, ScenarioSpec
from twin_core.settings import Settings
from twin_core.sim import scenario as compare
from twin_core.sim.lines.forecast import forecast_lines
from twin_core.sim.supply.chain import simulate_supply
from twin_core.tables import polars_schema
from twin_core.twin.inputs import CoreInputs, SnapshotContext
from twin_core.twin.lines import LineScenario, line_params, load_line_inputs
from twin_core.twin.supply import load_supply_frames, supply_params
from twin_core.warehouse import (
    append_frame,
    fetch_polars,
    open_warehouse,
    quote_ident,
    table_columns,
    transaction,
)

VARIANT_TABLES: tuple[str, ...] = (
    "line_forecast",
    "inventory_projection",
    "material_status",
    "uncovered_demand",
)


class ScenarioError(ValueError):
    """The scenario cannot run as asked (no snapshot, unknown ids); the message says why."""


@dataclass
class ScenarioOutcome:
    """What one scenario run produced (frames are small: one snapshot's horizon)."""

    resolved: ResolvedScenario
    variants: dict[str, dict[str, pl.DataFrame]]
    instructions: dict[str, pl.DataFrame]
    changes: pl.DataFrame
    computed: list[str] = field(default_factory=list)
    not_modelled: list[str] = field(default_factory=list)

    @property
    def scenario_id(self) -> str:
        return self.resolved.scenario_id


def resolve(
    con: duckdb.DuckDBPyConnection, settings: Settings, spec: ScenarioSpec
) -> ResolvedScenario:
    """Fill the spec's defaults from its snapshot (the latest complete one by default)."""
    if spec.snapshot_id is not None:
        row = con.execute(
            "select snapshot_id, as_of, status, params from history.snapshots where snapshot_id = ?",
            [spec.snapshot_id],
        ).fetchone()
        if row is None:
            raise ScenarioError(f"no snapshot {spec.snapshot_id}; see twin.snapshots")
        if row[2] != "complete":
            raise ScenarioError(f"snapshot {spec.snapshot_id} is {row[2]}, not complete")
    else:
        row = con.execute(
            "select snapshot_id, as_of, status, params from history.snapshots "
            "where status = 'complete' order by snapshot_id desc limit 1"
        ).fetchone()
        if row is None:
            raise ScenarioError("no complete snapshot yet; run the nightly first")
    params: dict[str, Any] = json.loads(row[3]) if row[3] else {}
    return ResolvedScenario(
        spec=spec,
        snapshot_id=int(row[0]),
        as_of=row[1],
        horizon_days=spec.horizon_days or int(params.get("horizon_days") or settings.horizon_days),
        replications=spec.replications or int(params.get("replications") or settings.replications),
        seed=spec.seed if spec.seed is not None else int(params.get("seed", settings.seed)),
    )


def _ids(con: duckdb.DuckDBPyConnection, sql: str) -> set[str]:
    return {str(r[0]) for r in con.execute(sql).fetchall() if r[0] is not None}


def check_ids(con: duckdb.DuckDBPyConnection, spec: ScenarioSpec) -> None:
    """Every machine, product, supplier and line the spec names exists in the master data."""
    wanted = {
        "machine": ({o.machine_id for o in spec.outages}, "select machine_id from core.machines"),
        "product": (set(spec.demand_multipliers), "select product_id from core.products"),
        "supplier": (
            {d.supplier_id for d in spec.supplier_delays},
            "select supplier_id from core.suppliers",
        ),
        "line": ({x.line_id for x in spec.extra_shifts}, "select line_id from core.machines"),
    }
    unknown, known = [], []
    for kind, (ids, sql) in wanted.items():
        have = _ids(con, sql) if ids else set()
        missing = sorted(ids - have)
        if missing:
            unknown.append(f"{kind} {', '.join(missing)}")
            shown = sorted(have)
            more = f" and {len(shown) - 30} more" if len(shown) > 30 else ""
            known.append(f"known {kind}s: {', '.join(shown[:30]) or 'none'}{more}")
    if unknown:
        raise ScenarioError(
            "unknown id(s) in the scenario: "
            + "; ".join(unknown)
            + " (not in the master data; "
            + "; ".join(known)
            + ")"
        )


def _context(
    con: duckdb.DuckDBPyConnection, settings: Settings, r: ResolvedScenario
) -> SnapshotContext:
    row = con.execute(
        "select site_ids from history.snapshots where snapshot_id = ?", [r.snapshot_id]
    ).fetchone()
    sites = tuple(json.loads(row[0])) if row and row[0] else tuple(settings.site_ids)
    tuned = settings.model_copy(
        update={"horizon_days": r.horizon_days, "replications": r.replications, "seed": r.seed}
    )
    return SnapshotContext(r.snapshot_id, r.as_of, tuned, sites)


def _supply(
    inputs: CoreInputs, ctx: SnapshotContext, spec: ScenarioSpec
) -> dict[str, dict[str, pl.DataFrame]]:
    frames = load_supply_frames(inputs)
    base = supply_params(ctx)
    changed = base.model_copy(
        update={
            "demand_multipliers": dict(spec.demand_multipliers),
            "supplier_delays": {d.supplier_id: float(d.days) for d in spec.supplier_delays},
        }
    )
    out: dict[str, dict[str, pl.DataFrame]] = {}
    for variant, params in ((compare.BASELINE, base), (compare.SCENARIO, changed)):
        lazy = simulate_supply(frames, params)
        names = list(lazy)
        out[variant] = dict(zip(names, pl.collect_all([lazy[n] for n in names]), strict=True))
    # As the supply builder does: where on_hand comes from sits next to it (rules read it).
    stamps = frames.on_hand.select("site_id", "material_id", "on_hand_as_of").collect()
    for tables in out.values():
        tables["material_status"] = tables["material_status"].join(
            stamps, on=["site_id", "material_id"], how="left", nulls_equal=True
        )
    return out


def line_scenario(spec: ScenarioSpec) -> LineScenario:
    """The spec's changes in the line simulation's terms (extra hours of a line add up)."""
    hours: dict[str, float] = {}
    for x in spec.extra_shifts:
        hours[x.line_id] = hours.get(x.line_id, 0.0) + x.hours_per_day
    return LineScenario(
        outages=tuple((o.machine_id, o.start, o.hours) for o in spec.outages),
        demand_multipliers=dict(spec.demand_multipliers),
        extra_shift_hours=hours,
    )


def _lines(inputs: CoreInputs, ctx: SnapshotContext, spec: ScenarioSpec) -> dict[str, pl.DataFrame]:
    """history.line_forecast of each variant; the same seed, so the same random draws."""
    line_inputs = load_line_inputs(inputs, ctx)
    params = line_params(ctx)
    return {
        compare.BASELINE: forecast_lines(line_inputs, params).collect(),
        compare.SCENARIO: forecast_lines(line_inputs, params, line_scenario(spec)).collect(),
    }


def _instructions(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    r: ResolvedScenario,
    variants: dict[str, dict[str, pl.DataFrame]],
) -> dict[str, pl.DataFrame]:
    """The nightly's instruction rules applied to each variant's tables."""
    info = SnapshotInfo(
        snapshot_id=r.snapshot_id,
        as_of=r.as_of,
        created_at=None,
        code_version=__version__,
        timezone=settings.timezone,
        horizon_days=r.horizon_days,
    )
    data = load_report_data(con, info)
    result: dict[str, pl.DataFrame] = {}
    for variant, tables in variants.items():
        data.history.update(tables)
        rows = [i.as_row() for i in compute_instructions(data)]
        result[variant] = pl.DataFrame(
            rows,
            schema=polars_schema("scenario.instructions", without=("scenario_id", "variant")),
        )
    return result


def compute(
    settings: Settings, con: duckdb.DuckDBPyConnection, spec: ScenarioSpec
) -> ScenarioOutcome:
    """Resolve, check and simulate both variants; nothing is written."""
    resolved = resolve(con, settings, spec)
    check_ids(con, spec)
    ctx = _context(con, settings, resolved)
    inputs = CoreInputs(con, ctx)
    variants = _supply(inputs, ctx, spec)
    for variant, forecast in _lines(inputs, ctx, spec).items():
        variants[variant]["line_forecast"] = forecast
    computed = sorted(variants[compare.BASELINE])
    not_modelled: list[str] = []
    instructions = _instructions(con, settings, resolved, variants)
    changes = compare.instruction_changes(
        instructions[compare.BASELINE].lazy(), instructions[compare.SCENARIO].lazy()
    ).collect()
    return ScenarioOutcome(resolved, variants, instructions, changes, computed, not_modelled)


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    """Append ``frame`` to scenario.<table>. A scenario table stores a chosen subset of its twin
    table's columns (the variant's numbers, not every diagnostic), so the frame is cut to the
    table's columns here, on purpose; the writer itself refuses unknown columns."""
    stored = set(table_columns(con, "scenario", table))
    keep = [c for c in frame.columns if c in stored]
    if not keep:
        return 0
    return append_frame(con, "scenario", table, frame.select(keep))


def store(
    con: duckdb.DuckDBPyConnection, outcome: ScenarioOutcome, report_dir: Path | None
) -> dict[str, int]:
    """Replace the scenario's rows in the scenario.* tables (one transaction)."""
    r = outcome.resolved
    sid = r.scenario_id
    written: dict[str, int] = {}
    with transaction(con):
        for table in (*VARIANT_TABLES, "instructions", "instruction_changes", "runs"):
            con.execute(f"delete from scenario.{quote_ident(table)} where scenario_id = ?", [sid])
        con.execute(
            "insert into scenario.runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                sid,
                r.spec.name,
                r.snapshot_id,
                r.as_of,
                datetime.now(UTC).replace(tzinfo=None),
                json.dumps(r.canonical(), sort_keys=True),
                r.params_hash,
                r.horizon_days,
                r.replications,
                r.seed,
                __version__,
                str(report_dir) if report_dir else None,
            ],
        )
        tag = pl.lit(sid).alias("scenario_id")
        for table in VARIANT_TABLES:
            rows = [
                tables[table].with_columns(tag, pl.lit(variant).alias("variant"))
                for variant, tables in outcome.variants.items()
                if table in tables
            ]
            written[table] = sum(_insert(con, table, f) for f in rows)
        written["instructions"] = sum(
            _insert(con, "instructions", f.with_columns(tag, pl.lit(v).alias("variant")))
            for v, f in outcome.instructions.items()
        )
        written["instruction_changes"] = _insert(
            con, "instruction_changes", outcome.changes.with_columns(tag)
        )
    return written


def read_scenario(con: duckdb.DuckDBPyConnection, scenario_id: str, table: str) -> pl.DataFrame:
    """One scenario's rows of a scenario table, in a stable order (for reports and tests)."""
    frame = fetch_polars(
        con,
        f"select * exclude (scenario_id) from scenario.{quote_ident(table)} where scenario_id = ?",
        [scenario_id],
    )
    return frame.sort(frame.columns, nulls_last=True)


def run_scenario(settings: Settings, spec: ScenarioSpec) -> tuple[ScenarioOutcome, dict[str, int]]:
    """Compute a scenario on the warehouse of ``settings`` and store it; the caller holds the
    TWIN_HOME lock (the flow does)."""
    with open_warehouse(settings) as con:
        outcome = compute(settings, con, spec)
        target = report_dir(settings, outcome.scenario_id)
        written = store(con, outcome, target)
        write_report(outcome, target)
    return outcome, written
