"""`twin demo`, `twin nightly`, `twin backfill`, `twin scenario`: run the flows from a shell.

They run the same Prefect flows the deployments run (``flows/``), in this process, against
``PREFECT_API_URL`` if set (e.g. the server of ``make server``) or Prefect's local
ephemeral API otherwise. Prefect is imported only when one of these commands runs.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from twin_cli._app import UsageError, UserError, app, err, friendly, out
from twin_cli.progress import stage_progress
from twin_core.runlock import NIGHT_WAIT_S
from twin_core.settings import Settings, get_settings

if TYPE_CHECKING:
    from flows.nightly import NightlySummary


def _day(value: str, option: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise UsageError(f"{option} takes a date YYYY-MM-DD, not {value!r}") from None


def _refuse_unknown_sites(sites: list[str]) -> None:
    """Refuse unknown sites before Prefect starts (the flow checks again under the home
    lock); a warehouse busy with another run is left to the flow's check."""
    from twin_core.sites import UnknownSite, check_settings_sites
    from twin_core.warehouse import WarehouseError

    settings = get_settings(site_ids=sites) if sites else get_settings()
    try:
        check_settings_sites(settings, allow_empty=True)
    except UnknownSite:
        raise
    except WarehouseError:
        return


def _prefect_defaults() -> None:
    """Defaults for Prefect's local ephemeral API, set before Prefect is imported. Its first
    start migrates a new SQLite database, which takes longer than Prefect's 20 s on a busy
    machine; an explicit setting in the environment wins."""
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # Prefect's console handler, re-made with the twin's filter and stream (console_log).
    os.environ.setdefault(
        "PREFECT_LOGGING_HANDLERS_CONSOLE_CLASS", "flows.console_log.TwinConsoleHandler"
    )


def _run_flow(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a flow; the errors a user can act on become one line, not a traceback."""
    from flows.console_log import adopt_prefect_console
    from twin_core.scenario.run import ScenarioError

    adopt_prefect_console()
    try:
        return fn(*args, **kwargs)
    except ScenarioError as exc:
        # LockBusy (exit 4) and StageFailed (exit 5) pass to the error boundary (``friendly``).
        raise UserError(str(exc)) from None


def _print_nightly(summary: NightlySummary, stages_shown: bool = False) -> None:
    """The day's line and, unless the live progress already showed them on this terminal, a
    line per stage (stdout piped or captured always gets them)."""
    stages = ", ".join(f"{o.stage} {o.status}" for o in summary.stages)
    # Plain echo: one line per day, never wrapped at the terminal width.
    typer.echo(
        f"{summary.as_of}: {stages}; snapshot {summary.snapshot_id}, published "
        f"{summary.published_snapshot_id}" + (" DEGRADED" if summary.degraded else "")
    )
    # Each stage: its time and what it did (rows, batches, the snapshot, the files written).
    for o in [] if stages_shown and out.is_terminal else summary.stages:
        detail = " ".join(o.detail.split())
        typer.echo(f"  {o.stage:<9} {o.seconds:6.1f} s  {detail}")
    for reason in summary.degraded:
        typer.echo(f"  degraded: {reason}")


@app.command()
@friendly
def nightly(
    as_of: str | None = typer.Option(
        None, "--as-of", help="Plant day YYYY-MM-DD; default: yesterday in the plant timezone."
    ),
    site: list[str] = typer.Option([], "--site", help="Limit to a site (repeatable)."),
    wait: int = typer.Option(
        NIGHT_WAIT_S, "--wait", help="Seconds to wait for another run on this TWIN_HOME."
    ),
    allow_partial: bool = typer.Option(
        False,
        "--allow-partial",
        help="Build the snapshot even when a required source is missing or stale for the day "
        "(marked degraded, with the reasons).",
    ),
) -> None:
    """Run the nightly: ingest, validate, rebuild, report, publish (publish only if all succeed).

    It stops before the rebuild (exit 2, plant.duckdb untouched) when a required source is
    missing or stale for the day, and without --as-of when the newest data is older than
    yesterday.
    """
    _refuse_unknown_sites(site)
    _prefect_defaults()
    from flows.nightly import nightly as nightly_flow
    from flows.params import NightlyParams

    params = NightlyParams(
        as_of=_day(as_of, "--as-of") if as_of else None,
        sites=site,
        lock_wait_s=wait,
        allow_partial=allow_partial,
    )
    with stage_progress(nights=1) as shown:
        summary: NightlySummary = _run_flow(nightly_flow, **params.kwargs())
    _print_nightly(summary, stages_shown=shown)


@app.command()
@friendly
def backfill(
    start: str = typer.Option(..., "--start", help="First plant day YYYY-MM-DD."),
    end: str = typer.Option(..., "--end", help="Last plant day YYYY-MM-DD (inclusive)."),
    site: list[str] = typer.Option([], "--site", help="Limit to a site (repeatable)."),
    wait: int = typer.Option(
        NIGHT_WAIT_S, "--wait", help="Seconds to wait for another run on this TWIN_HOME."
    ),
    allow_partial: bool = typer.Option(
        False, "--allow-partial", help="As in `twin nightly`: build degraded days anyway."
    ),
) -> None:
    """Run the nightly for each day from --start to --end, in order; stop at the first failure."""
    _refuse_unknown_sites(site)
    _prefect_defaults()
    from flows.nightly import backfill as backfill_flow
    from flows.params import BackfillParams

    params = BackfillParams(
        start=_day(start, "--start"),
        end=_day(end, "--end"),
        sites=site,
        lock_wait_s=wait,
        allow_partial=allow_partial,
    )
    with stage_progress(nights=(params.end - params.start).days + 1) as shown:
        done: list[NightlySummary] = _run_flow(backfill_flow, **params.kwargs())
    for summary in done:
        _print_nightly(summary, stages_shown=shown)


def _pairs(values: list[str], option: str) -> list[tuple[str, str]]:
    found = []
    for v in values:
        key, sep, val = v.partition("=")
        if not sep or not key or not val:
            raise UsageError(f"{option} takes ID=VALUE, got {v!r}")
        found.append((key, val))
    return found


def scenario_params(
    *,
    name: str,
    snapshot: int | None,
    outage: list[str],
    demand: list[str],
    supplier_delay: list[str],
    extra_shift: list[str],
    horizon: int | None,
    replications: int | None,
    seed: int | None,
    params_file: Path | None,
) -> dict[str, Any]:
    """The scenario parameters from the command line (a JSON file first, options on top)."""
    body: dict[str, Any] = {}
    if params_file is not None:
        try:
            loaded = json.loads(params_file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise UserError(f"{params_file} is not JSON: {exc}") from None
        if not isinstance(loaded, dict):
            raise UserError(f"{params_file} must hold a JSON object of scenario parameters")
        body.update(loaded)
    if name != "what-if" or "name" not in body:
        body["name"] = name
    for key, value in (
        ("snapshot_id", snapshot),
        ("horizon_days", horizon),
        ("replications", replications),
        ("seed", seed),
    ):
        if value is not None:
            body[key] = value
    for text in outage:
        parts = text.split(",")
        if len(parts) != 3:
            raise UsageError(f"--outage takes MACHINE,START,HOURS, got {text!r}")
        body.setdefault("outages", []).append(
            {"machine_id": parts[0], "start": parts[1], "hours": parts[2]}
        )
    for key, val in _pairs(demand, "--demand"):
        body.setdefault("demand_multipliers", {})[key] = val
    for key, val in _pairs(supplier_delay, "--supplier-delay"):
        body.setdefault("supplier_delays", []).append({"supplier_id": key, "days": val})
    for key, val in _pairs(extra_shift, "--extra-shift"):
        body.setdefault("extra_shifts", []).append({"line_id": key, "hours_per_day": val})
    return body


@app.command()
@friendly
def scenario(
    name: str = typer.Option("what-if", "--name", help="A short label for the scenario."),
    snapshot: int | None = typer.Option(
        None, "--snapshot", help="Snapshot to start from; default: the latest."
    ),
    outage: list[str] = typer.Option(
        [],
        "--outage",
        help="MACHINE,START,HOURS e.g. L1-M2,2026-03-09T06:00,12 (repeatable; demo ids).",
    ),
    demand: list[str] = typer.Option(
        [], "--demand", help="PRODUCT=FACTOR on its demand, e.g. P1=1.5 (repeatable)."
    ),
    supplier_delay: list[str] = typer.Option(
        [], "--supplier-delay", help="SUPPLIER=DAYS late on open POs, e.g. SUP-01=7 (repeatable)."
    ),
    extra_shift: list[str] = typer.Option(
        [], "--extra-shift", help="LINE=HOURS more planned time per day, e.g. L2=8 (repeatable)."
    ),
    horizon: int | None = typer.Option(None, "--horizon", help="Days ahead (default: snapshot's)."),
    replications: int | None = typer.Option(None, "--replications", help="Monte Carlo runs."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (default: snapshot's)."),
    params_file: Path | None = typer.Option(
        None, "--params", help="A JSON file of scenario parameters (options override it)."
    ),
    wait: int = typer.Option(NIGHT_WAIT_S, "--wait", help="Seconds to wait for another run."),
) -> None:
    """Run a what-if on a snapshot; write scenario.* tables and reports/scenarios/<id>/."""
    _prefect_defaults()
    from flows.params import ScenarioParams
    from flows.scenario import ScenarioSummary
    from flows.scenario import scenario as scenario_flow

    body = scenario_params(
        name=name,
        snapshot=snapshot,
        outage=outage,
        demand=demand,
        supplier_delay=supplier_delay,
        extra_shift=extra_shift,
        horizon=horizon,
        replications=replications,
        seed=seed,
        params_file=params_file,
    )
    body["lock_wait_s"] = wait
    params = ScenarioParams.model_validate(body)
    summary: ScenarioSummary = _run_flow(scenario_flow, **params.kwargs())
    out.print(
        f"scenario {summary.scenario_id} on snapshot {summary.snapshot_id}: "
        f"{summary.changes} instruction change(s)",
        highlight=False,
    )
    typer.echo(f"  report: {summary.report_dir / 'index.html'}")
    typer.echo(
        f"  rows:   scenario.* tables, scenario_id = '{summary.scenario_id}' (in plant.duckdb "
        "from the next publish: the nightly's, or `twin publish` now)"
    )
    for gap in summary.not_modelled:
        err.print(f"[yellow]not modelled in this build: {gap}[/yellow]")


def _fresh_demo_home(settings: Settings) -> None:
    """Remove what a previous demo left in TWIN_HOME; refuse on a home that is not a demo's."""
    home = settings.home
    if not home.exists():
        return
    if settings.warehouse_path.exists() and not (home / "ground_truth.json").exists():
        raise UserError(
            f"{home} holds a warehouse that the demo did not generate; point TWIN_HOME at an "
            "empty folder for the demo (make demo uses ./demo)"
        )
    for name in ("landing", "reports", "validation", "copies"):
        shutil.rmtree(home / name, ignore_errors=True)
    for path in home.glob("*.duckdb*"):
        path.unlink()
    (home / "ground_truth.json").unlink(missing_ok=True)


@app.command()
@friendly
def demo(
    days: int = typer.Option(7, "--days", min=1, max=60, help="Days of demo plant to generate."),
    seed: int = typer.Option(7, "--seed", help="Seed of the synthetic plant."),
    fresh: bool = typer.Option(
        False, "--fresh", help="Replace a previous demo in TWIN_HOME (only a demo's home)."
    ),
    nights: int | None = typer.Option(
        None,
        "--nights",
        min=1,
        help="Run the nightly only for the last N days (the first of them ingests every "
        "landed file); default: every day.",
    ),
) -> None:
    """Generate a demo plant into TWIN_HOME and backfill the twin over its days."""
    from twin_core.synth import DEFAULT_START, SynthError, generate
    from twin_core.warehouse import open_warehouse

    settings = get_settings()
    if fresh:
        _fresh_demo_home(settings)
    elif settings.warehouse_path.exists():
        raise UserError(
            f"{settings.home} already holds a twin; run `make clean` or `twin demo --fresh` first"
        )
    _prefect_defaults()
    # A newcomer reads the per-day summary below; Prefect's per-task log lines are for the UI.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # landing/ is left to the generator (it refuses to write over existing extracts).
    for d in (settings.home, settings.reports_dir, settings.validation_dir):
        d.mkdir(parents=True, exist_ok=True)
    with open_warehouse(settings):
        pass
    start = DEFAULT_START
    end = start + timedelta(days=days - 1)
    first_night = end - timedelta(days=min(nights or days, days) - 1)
    out.print(f"generating {days} days of the demo plant ({start} .. {end}) into {settings.home}")
    try:
        truth = generate(settings.home, days=days, start=start, seed=seed, scale="demo")
    except SynthError as exc:
        raise UserError(str(exc)) from None
    out.print(f"  {len(truth.faults)} labelled faults in {settings.home / 'ground_truth.json'}")
    out.print(f"running the nightly for each day, {first_night} .. {end}")

    from flows.nightly import backfill as backfill_flow
    from flows.params import BackfillParams

    with stage_progress(nights=(end - first_night).days + 1) as shown:
        done: list[NightlySummary] = _run_flow(
            backfill_flow, **BackfillParams(start=first_night, end=end).kwargs()
        )
    for summary in done:
        _print_nightly(summary, stages_shown=shown)
    _demo_epilogue(settings, done)


def _demo_epilogue(settings: Settings, done: list[NightlySummary]) -> None:
    last = done[-1]
    home = settings.home
    report_dir = settings.reports_dir / last.as_of.isoformat()
    typer.echo("")
    typer.echo(f"The twin of {len(done)} plant day(s) is in {home}.")
    if report_dir.exists():
        typer.echo(
            f"  reports:    {report_dir}/ (one folder per day under {settings.reports_dir}/)"
        )
    else:
        typer.echo("  reports:    none (no report was written)")
    if settings.published_path.exists():
        typer.echo(
            f"  published:  {settings.published_path} (snapshot {last.published_snapshot_id})"
        )
    typer.echo("")
    typer.echo("Try (from this folder):")
    typer.echo(f"  export TWIN_HOME={home}")
    typer.echo("  .venv/bin/twin query 'select * from twin.snapshots'")
    typer.echo(
        "  .venv/bin/twin query 'select department, priority, action from report.instructions "
        "order by priority limit 15'"
    )
    typer.echo("  .venv/bin/twin query --file sql/queries/materials_to_order.sql")
    typer.echo("  .venv/bin/twin query --file sql/queries/oee_losses_this_week.sql --format csv")
    ids = _example_ids(settings)
    typer.echo(
        f"  .venv/bin/twin scenario --name rush --demand {ids['product']}=1.5 "
        f"--supplier-delay {ids['supplier']}=7   # a what-if"
    )
    typer.echo(
        f"  .venv/bin/twin scenario --name down --outage {ids['machine']},"
        f"{(last.as_of + timedelta(days=1)).isoformat()}T06:00,12"
    )
    typer.echo("  make server      # the Prefect UI with the nightly, backfill and scenario")


def _example_ids(settings: Settings) -> dict[str, str]:
    """Ids from the demo's own master data, so the example commands work as printed."""
    from twin_core.warehouse import connect

    found = {"product": "P1", "supplier": "SUP-01", "machine": "M1"}
    if not settings.published_path.exists():
        return found
    con = connect(settings.published_path, read_only=True, settings=settings)
    try:
        for key, sql in (
            ("product", "select min(product_id) from core.products"),
            ("supplier", "select min(supplier_id) from core.suppliers"),
            ("machine", "select min(machine_id) from core.machines"),
        ):
            row = con.execute(sql).fetchone()
            if row and row[0] is not None:
                found[key] = str(row[0])
    finally:
        con.close()
    return found
