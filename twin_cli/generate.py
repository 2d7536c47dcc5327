"""`twin generate`: write a synthetic plant's extracts and its ground truth."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import cast, get_args

import typer
from pydantic import ValidationError
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from twin_cli._app import UsageError, UserError, app, err, friendly, out
from twin_core.contracts import SOURCES
from twin_core.synth.config import DEFAULT_START, Faults, FileFormat, Scale, make_config


def _formats(pairs: list[str]) -> dict[str, FileFormat]:
    allowed = get_args(FileFormat)
    found: dict[str, FileFormat] = {}
    for pair in pairs:
        source, sep, fmt = pair.partition("=")
        if not sep or source not in SOURCES or fmt not in allowed:
            raise UsageError(
                f"--format takes SOURCE=FORMAT with a contract source and one of {', '.join(allowed)}; got {pair!r}"
            )
        found[source] = cast(FileFormat, fmt)
    return found


@app.command()
@friendly
def generate(
    out_dir: Path = typer.Option(
        ..., "--out", help="Folder to write landing/ and ground_truth.json into."
    ),
    days: int | None = typer.Option(
        None, "--days", help="Days of extracts (demo: 7, bench: 1). Faults need >= 5."
    ),
    start: str = typer.Option(DEFAULT_START.isoformat(), "--start", help="First day, YYYY-MM-DD."),
    seed: int = typer.Option(
        7, "--seed", min=0, help="Seed: the same seed gives byte-identical files."
    ),
    scale: str = typer.Option(
        "demo",
        "--scale",
        help="demo (3 lines, 60 sensors at 60 s) or bench (1,000 sensors at 1 s).",
    ),
    sensors: int | None = typer.Option(
        None, "--sensors", help="Total sensors (at least 4 per machine)."
    ),
    period: int | None = typer.Option(None, "--period", help="Sensor sample period in seconds."),
    fmt: list[str] = typer.Option(
        [],
        "--format",
        help="SOURCE=csv|parquet|jsonl, repeatable (defaults: readings parquet, feedback jsonl, the rest csv).",
    ),
    csv_copy: bool = typer.Option(
        False,
        "--csv-copy",
        help="Also write sensor readings as CSV under OUT/copies/ (outside landing).",
    ),
    force: bool = typer.Option(
        False, "--force", help="Replace data a previous run generated in OUT."
    ),
    faults: str = typer.Option(
        "labelled",
        "--faults",
        help="labelled (inject the faults in ground_truth.json) or none (a fault-free plant).",
    ),
    sites: int | None = typer.Option(
        None,
        "--sites",
        min=1,
        help="Several sites (OUT/sites/S1, S2, ...): their own lines, shared suppliers and "
        "products. Point TWIN_HOME at OUT and `twin nightly` runs every site.",
    ),
) -> None:
    """Generate a synthetic plant: every extract of the contract, with labelled faults."""
    try:
        first = datetime.strptime(start, "%Y-%m-%d").date()
    except ValueError:
        raise UsageError(f"--start takes a date YYYY-MM-DD, got {start!r}") from None
    if faults not in get_args(Faults):
        raise UsageError(f"--faults takes labelled or none, got {faults!r}")
    if scale not in get_args(Scale):
        raise UsageError(f"--scale takes demo or bench, got {scale!r}")
    try:
        cfg = make_config(
            days,
            first,
            seed,
            cast(Scale, scale),
            sensors=sensors,
            period_s=period,
            formats=_formats(fmt),
            csv_copy=csv_copy,
            faults=cast(Faults, faults),
        )
    except ValidationError as exc:
        raise UsageError("; ".join(str(e["msg"]) for e in exc.errors())) from None
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def report(task: str, done: int, total: int) -> None:
            if task not in tasks:
                tasks[task] = bar.add_task(task, total=total)
            bar.update(tasks[task], completed=done, total=total)

        from twin_core.synth.generator import SynthError, run  # numpy/scipy: only when generating

        if sites is not None:
            from twin_core.synth.sites import run_sites

            try:
                truths = run_sites(out_dir, cfg, sites, overwrite=force, progress=report)
            except SynthError as exc:
                raise UserError(str(exc)) from None
            out.print(
                f"{cfg.days} days from {cfg.start} ({cfg.scale}, seed {cfg.seed}), "
                f"{len(truths)} sites -> {out_dir / 'sites'}: "
                + ", ".join(f"{sid} ({len(t.faults)} faults)" for sid, t in truths.items())
            )
            return
        try:
            truth = run(out_dir, cfg, overwrite=force, progress=report)
        except SynthError as exc:
            raise UserError(str(exc)) from None
    kinds = sorted({f.kind for f in truth.faults})
    out.print(
        f"{cfg.days} days from {cfg.start} ({cfg.scale}, seed {cfg.seed}) -> {out_dir / 'landing'}; "
        f"{len(truth.faults)} labelled faults ({len(kinds)} kinds) in {out_dir / 'ground_truth.json'}"
    )
