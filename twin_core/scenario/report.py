"""The scenario report: what a what-if changes against its baseline, as Markdown and HTML.

Grain: one folder per scenario, ``<TWIN_HOME>/reports/scenarios/<scenario_id>/`` holding
``scenario.md`` and ``index.html``: the parameters, output per line, stockouts that appear,
disappear or move, and the department instructions that change. Every table names the
scenario table its rows come from.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from twin_core.report import charts
from twin_core.report.blocks import cell, figure, frame_table
from twin_core.report.html import Html
from twin_core.report.render import Table, note_view, page, table_view
from twin_core.settings import Settings
from twin_core.shared_files import share_folders, write_text
from twin_core.sim import scenario as compare

if TYPE_CHECKING:
    from twin_core.scenario.run import ScenarioOutcome


def report_dir(settings: Settings, scenario_id: str) -> Path:
    return settings.reports_dir / "scenarios" / scenario_id


def _stacked(outcome: ScenarioOutcome, table: str) -> pl.DataFrame | None:
    frames = [
        t[table].with_columns(pl.lit(v).alias("variant"))
        for v, t in outcome.variants.items()
        if table in t
    ]
    return pl.concat(frames, how="diagonal_relaxed") if frames else None


def line_output(forecast: pl.DataFrame) -> pl.DataFrame:
    """Per line over the horizon, each variant with its own required quantity: the
    comparison's ``required_qty`` is the baseline's (the page showed it for both variants,
    so --demand P1=1.5 read "14,425 -> 14,425"), here ``baseline_required_qty`` beside
    ``scenario_required_qty`` and their delta."""
    return (
        compare.line_output_delta(forecast.lazy())
        .rename({"required_qty": "baseline_required_qty"})
        .with_columns(
            delta_required_qty=pl.col("scenario_required_qty") - pl.col("baseline_required_qty")
        )
        .collect()
    )


def sections(outcome: ScenarioOutcome) -> dict[str, pl.DataFrame | None]:
    """The report's three comparisons (None: that part of the twin was not simulated)."""
    forecast = _stacked(outcome, "line_forecast")
    status = _stacked(outcome, "material_status")
    stockouts = None
    if status is not None:
        stockouts = compare.stockout_delta(status.lazy()).collect()
        stockouts = stockouts.filter(pl.col("effect").is_not_null())
    return {
        "line_output": None if forecast is None else line_output(forecast),
        "stockouts": stockouts,
        "instruction_changes": outcome.changes,
    }


def _md_table(frame: pl.DataFrame, columns: Sequence[str], limit: int = 50) -> str:
    cols = [c for c in columns if c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    # Quantities as on the page (17,944.5), not rounded to whole units.
    shown = [qty if c.endswith("_qty") else cell for c in cols]
    for row in frame.select(cols).head(limit).iter_rows():
        lines.append(
            "| "
            + " | ".join(f(v).replace("|", "\\|") for f, v in zip(shown, row, strict=True))
            + " |"
        )
    if frame.height > limit:
        lines.append(f"\n(first {limit} of {frame.height} rows)")
    return "\n".join(lines)


LINE_COLUMNS = (
    "line_id",
    "baseline_required_qty",
    "scenario_required_qty",
    "delta_required_qty",
    "baseline_p50_qty",
    "scenario_p50_qty",
    "delta_p50_qty",
    "baseline_days_short",
    "scenario_days_short",
)
STOCKOUT_COLUMNS = (
    "site_id",
    "material_id",
    "effect",
    "baseline_stockout_date",
    "scenario_stockout_date",
    "baseline_days_of_cover",
    "scenario_days_of_cover",
)
CHANGE_COLUMNS = (
    "change",
    "department",
    "entity_type",
    "entity_id",
    "baseline_action",
    "scenario_action",
    "scenario_due_date",
)


def _parameters(outcome: ScenarioOutcome) -> list[tuple[str, str]]:
    r = outcome.resolved
    spec = r.spec
    items = [
        ("scenario_id", r.scenario_id),
        ("snapshot", f"{r.snapshot_id} (as of {r.as_of})"),
        ("horizon / replications / seed", f"{r.horizon_days} days / {r.replications} / {r.seed}"),
    ]
    if spec.outages:
        items.append(
            (
                "machine outages",
                "; ".join(
                    f"{o.machine_id} from {o.start:%Y-%m-%d %H:%M} UTC for {o.hours:g} h"
                    for o in spec.outages
                ),
            )
        )
    if spec.demand_multipliers:
        items.append(
            (
                "demand multipliers",
                ", ".join(f"{p} x{m:g}" for p, m in sorted(spec.demand_multipliers.items())),
            )
        )
    if spec.supplier_delays:
        items.append(
            (
                "supplier delays",
                ", ".join(f"{d.supplier_id} +{d.days} d" for d in spec.supplier_delays),
            )
        )
    if spec.extra_shifts:
        items.append(
            (
                "extra shifts",
                ", ".join(f"{x.line_id} +{x.hours_per_day:g} h/day" for x in spec.extra_shifts),
            )
        )
    if spec.is_baseline():
        items.append(("changes", "none (this reproduces the snapshot)"))
    return items


def render_markdown(outcome: ScenarioOutcome) -> str:
    r = outcome.resolved
    parts = [f"# Scenario {r.spec.name}", ""]
    parts += [f"- **{k}**: {v}" for k, v in _parameters(outcome)]
    if outcome.not_modelled:
        parts += ["", "**Not modelled in this build:** " + "; ".join(outcome.not_modelled) + "."]
    s = sections(outcome)
    parts += ["", "## Output per line (p50 over the horizon)", ""]
    line = s["line_output"]
    parts.append(
        "Not computed: the line simulation is not available in this build."
        if line is None
        else _md_table(line, LINE_COLUMNS)
        + "\n\nSource: scenario.line_forecast (variants baseline and scenario)."
    )
    parts += ["", "## Stockouts that change", ""]
    stock = s["stockouts"]
    if stock is None:
        parts.append("Not computed.")
    elif stock.is_empty():
        parts.append("No stockout appears, disappears or moves. Source: scenario.material_status.")
    else:
        parts.append(_md_table(stock, STOCKOUT_COLUMNS) + "\n\nSource: scenario.material_status.")
    parts += ["", "## Instructions that change", ""]
    changes = outcome.changes
    if changes.is_empty():
        parts.append("No department instruction changes. Source: scenario.instruction_changes.")
    else:
        counts = changes.group_by("change").len().sort("change")
        parts.append(
            ", ".join(f"{n} {c}" for c, n in counts.iter_rows())
            + ".\n\n"
            + _md_table(changes, CHANGE_COLUMNS)
            + "\n\nSource: scenario.instruction_changes."
        )
    return "\n".join(parts) + "\n"


def qty(v: object) -> str:
    """A quantity of the scenario page: one decimal, thousands separated (17,944.5)."""
    if v is None:
        return ""
    if isinstance(v, int | float):
        return f"{float(v):,.1f}"
    return str(v)


# (header, baseline column, scenario column, delta column) of the side-by-side line table.
SIDE_BY_SIDE = (
    ("required", "baseline_required_qty", "scenario_required_qty", "delta_required_qty"),
    ("p50 output", "baseline_p50_qty", "scenario_p50_qty", "delta_p50_qty"),
    ("days p50 short", "baseline_days_short", "scenario_days_short", None),
)


def line_side_by_side(line: pl.DataFrame | None) -> Table:
    """Per line: baseline, scenario and delta of the required quantity, p50 output and days
    short, each variant with its own requirement (scenario.line_forecast)."""
    if line is None:
        return note_view("Line output: not computed (the line simulation is not available).")
    if line.is_empty():
        return note_view("Line output: no forecast days in this horizon (scenario.line_forecast).")
    columns = ["line"]
    for what, *_ in SIDE_BY_SIDE:
        columns += [
            f"{what}: baseline",
            "scenario",
            *(["delta"] if what != "days p50 short" else []),
        ]
    rows = []
    for r in line.iter_rows(named=True):
        row: list[object] = [r["line_id"]]
        for _, base, scen, delta in SIDE_BY_SIDE:
            if delta is None:
                row += [cell(r[base]), cell(r[scen])]
            else:
                row += [qty(r[base]), qty(r[scen]), qty(r[delta])]
        rows.append(row)
    return Table(
        columns=columns,
        rows=table_view(columns, rows).rows,
        numeric=[False] + [True] * (len(columns) - 1),
        caption="Source: scenario.line_forecast, summed over the horizon per variant "
        "(required_qty, p50_qty); days short: p50 below that variant's own requirement.",
        id="line-output",
    )


def _fan_frame(rows: pl.DataFrame) -> pl.DataFrame:
    """scenario.line_forecast rows as the fan charts take them: ``day`` as month-day text,
    p10/p50/p90 (a null quantity drawn as 0) and the variant's own ``required`` (null kept)."""
    return pl.DataFrame(
        {
            "variant": rows["variant"].cast(pl.String),
            "day": [d.strftime("%m-%d") for d in rows["day"]],
            "p10": [float(x or 0) for x in rows["p10_qty"]],
            "p50": [float(x or 0) for x in rows["p50_qty"]],
            "p90": [float(x or 0) for x in rows["p90_qty"]],
            "required": [None if x is None else float(x) for x in rows["required_qty"]],
        },
        schema={
            "variant": pl.String,
            "day": pl.String,
            "p10": pl.Float64,
            "p50": pl.Float64,
            "p90": pl.Float64,
            "required": pl.Float64,
        },
    )


def line_overlays(forecast: pl.DataFrame | None) -> list[tuple[str, Html]]:
    """Per line: the baseline's and the scenario's fans overlaid on one axis, each with its
    own p10-p90 band, p50 and requirement (hover: the scenario.line_forecast row's values)."""
    if forecast is None or forecast.is_empty():
        return []
    out = []
    order = pl.col("variant").replace_strict(
        {compare.BASELINE: 0, compare.SCENARIO: 1}, default=2, return_dtype=pl.Int8
    )
    ranked = forecast.with_columns(order.alias("_v")).sort("line_id", "_v", "day")
    for (line,), rows in ranked.group_by("line_id", maintain_order=True):
        out.append(
            (
                str(line),
                figure(
                    charts.fan_overlay_chart(
                        f"Line {line}: baseline and scenario overlaid", _fan_frame(rows)
                    ),
                    f"Line {line}: the baseline's and the scenario's p10-p90 band, p50 "
                    "(line with points) and required output (dashed), each variant with its "
                    "own requirement (scenario.line_forecast).",
                ),
            )
        )
    return out


def line_fans(forecast: pl.DataFrame | None) -> list[tuple[str, Html, Html]]:
    """Per line: the baseline's and the scenario's fan (p10-p90, p50, own requirement)."""
    if forecast is None or forecast.is_empty():
        return []
    out = []
    for (line,), rows in forecast.sort("line_id", "day").group_by("line_id", maintain_order=True):
        pair = []
        for variant in (compare.BASELINE, compare.SCENARIO):
            v = rows.filter(pl.col("variant") == variant)
            pair.append(
                figure(
                    charts.fan_chart(
                        f"Line {line}, {variant}: output per day", _fan_frame(v).drop("variant")
                    ),
                    f"Line {line}, {variant}: p10-p90 band and p50 of simulated output against "
                    f"the {variant}'s required output (scenario.line_forecast).",
                )
            )
        out.append((str(line), pair[0], pair[1]))
    return out


def render_html(outcome: ScenarioOutcome) -> str:
    r = outcome.resolved
    s = sections(outcome)
    forecast = _stacked(outcome, "line_forecast")
    return page(
        "scenario.html.j2",
        f"Scenario {r.spec.name} ({r.scenario_id})",
        name=r.spec.name,
        meta=f"Snapshot {r.snapshot_id}, as of {r.as_of}. Baseline and scenario are computed "
        "with the same inputs, code and seed.",
        parameters=_parameters(outcome),
        not_modelled=outcome.not_modelled,
        lines=line_side_by_side(s["line_output"]),
        overlays=dict(line_overlays(forecast)),
        fans=line_fans(forecast),
        stockouts=frame_table(
            s["stockouts"],
            source="scenario.material_status",
            what="Stockout changes",
            columns=STOCKOUT_COLUMNS,
        ),
        changes=frame_table(
            outcome.changes,
            source="scenario.instruction_changes",
            what="Instruction changes",
            columns=(*CHANGE_COLUMNS, "reason"),
            shown=15,
        ),
    )


def write_report(outcome: ScenarioOutcome, target: Path) -> dict[str, Path]:
    """Write scenario.md, index.html and params.json into ``target`` (replacing them)."""
    share_folders(target.parent.parent, target.parent, target)
    files = {
        "markdown": (target / "scenario.md", render_markdown(outcome)),
        "html": (target / "index.html", render_html(outcome)),
        "params": (
            target / "params.json",
            json.dumps(outcome.resolved.canonical(), indent=2, sort_keys=True) + "\n",
        ),
    }
    for path, text in files.values():
        write_text(path, text)
    return {k: p for k, (p, _) in files.items()}
