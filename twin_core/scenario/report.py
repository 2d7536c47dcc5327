"""The scenario report: what a what-if changes against its baseline, as Markdown and HTML.

Grain: one folder per scenario, ``<TWIN_HOME>/reports/scenarios/<scenario_id>/`` holding
``scenario.md`` and ``index.html``: the parameters, output per line, stockouts that appear,
disappear or move, and the department instructions that change. Every table names the
scenario table its rows come from.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from twin_core.report.blocks import cell, frame_table
from twin_core.report.html import Html, el, page
from twin_core.settings import Settings
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


def sections(outcome: ScenarioOutcome) -> dict[str, pl.DataFrame | None]:
    """The report's three comparisons (None: that part of the twin was not simulated)."""
    forecast = _stacked(outcome, "line_forecast")
    status = _stacked(outcome, "material_status")
    stockouts = None
    if status is not None:
        stockouts = compare.stockout_delta(status.lazy()).collect()
        stockouts = stockouts.filter(pl.col("effect").is_not_null())
    return {
        "line_output": None
        if forecast is None
        else compare.line_output_delta(forecast.lazy()).collect(),
        "stockouts": stockouts,
        "instruction_changes": outcome.changes,
    }


def _md_table(frame: pl.DataFrame, columns: Sequence[str], limit: int = 50) -> str:
    cols = [c for c in columns if c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.select(cols).head(limit).iter_rows():
        lines.append("| " + " | ".join(cell(v).replace("|", "\\|") for v in row) + " |")
    if frame.height > limit:
        lines.append(f"\n(first {limit} of {frame.height} rows)")
    return "\n".join(lines)


LINE_COLUMNS = (
    "line_id",
    "required_qty",
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


def render_html(outcome: ScenarioOutcome) -> str:
    r = outcome.resolved
    s = sections(outcome)
    body: list[Html] = [
        el("h1", f"Scenario {r.spec.name}"),
        el(
            "p",
            f"Snapshot {r.snapshot_id}, as of {r.as_of}. Baseline and scenario are computed with the same inputs, code and seed.",
            class_="meta",
        ),
        el("ul", [el("li", el("b", k), ": ", v) for k, v in _parameters(outcome)]),
    ]
    if outcome.not_modelled:
        body.append(
            el(
                "p",
                "Not modelled in this build: " + "; ".join(outcome.not_modelled) + ".",
                class_="na",
            )
        )
    body += [
        el("h2", "Output per line (p50 over the horizon)"),
        frame_table(
            s["line_output"],
            source="scenario.line_forecast",
            what="Line output",
            columns=LINE_COLUMNS,
        ),
        el("h2", "Stockouts that change"),
        frame_table(
            s["stockouts"],
            source="scenario.material_status",
            what="Stockout changes",
            columns=STOCKOUT_COLUMNS,
        ),
        el("h2", "Instructions that change"),
        frame_table(
            outcome.changes,
            source="scenario.instruction_changes",
            what="Instruction changes",
            columns=(*CHANGE_COLUMNS, "reason"),
        ),
    ]
    return page(f"Scenario {r.spec.name} ({r.scenario_id})", body)


def write_report(outcome: ScenarioOutcome, target: Path) -> dict[str, Path]:
    """Write scenario.md, index.html and params.json into ``target`` (replacing them)."""
    target.mkdir(parents=True, exist_ok=True)
    files = {
        "markdown": (target / "scenario.md", render_markdown(outcome)),
        "html": (target / "index.html", render_html(outcome)),
        "params": (
            target / "params.json",
            json.dumps(outcome.resolved.canonical(), indent=2, sort_keys=True) + "\n",
        ),
    }
    for path, text in files.values():
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    return {k: p for k, (p, _) in files.items()}
