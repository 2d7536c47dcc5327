"""Instruction precision and recall against the synthetic plant's labelled faults, and the
priority-1 items of a fault-free plant (issue 19).

Generates a plant with labelled faults and one with ``--faults none`` (same seed and days),
runs ingest, validation, rebuild and report for every night through the library entry points
the nightly calls, and scores each night with ``twin_core.synth.scoring`` (definitions there
and in the README). Prints one line per night and the totals.

    .venv/bin/python bench/instruction_quality.py [--days 7] [--seed 7] [--nights 4]
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import date, timedelta
from pathlib import Path

from twin_core.ingest import ingest_landing
from twin_core.rebuild import rebuild_snapshot
from twin_core.report import build_reports
from twin_core.settings import Settings
from twin_core.synth.generator import generate
from twin_core.synth.scoring import NightScore, precision, recall, score_night
from twin_core.synth.truth import GroundTruth
from twin_core.validation import validate_pending

START = date(2026, 3, 2)


def run_plant(
    home: Path, days: int, seed: int, faults: str, nights: int
) -> tuple[GroundTruth, list[NightScore]]:
    truth = generate(home, days, START, seed, faults=faults)  # type: ignore[arg-type]
    settings = Settings(home=home, timezone=truth.timezone)
    for d in (settings.landing_dir, settings.reports_dir, settings.validation_dir):
        d.mkdir(parents=True, exist_ok=True)
    last = START + timedelta(days=days - 1)
    ingest_landing(settings)
    validate_pending(settings, as_of=last)
    scores = []
    for n in range(nights - 1, -1, -1):
        as_of = last - timedelta(days=n)
        snapshot_id = rebuild_snapshot(settings, as_of)
        result = build_reports(settings, snapshot_id=snapshot_id)
        scores.append(score_night(result.instructions, truth.faults, as_of, settings.horizon_days))
    return truth, scores


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--nights", type=int, default=4, help="last N nights scored")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="twin-iq-") as tmp:
        _, labelled = run_plant(Path(tmp) / "faults", args.days, args.seed, "labelled", args.nights)
        _, clean = run_plant(Path(tmp) / "clean", args.days, args.seed, "none", args.nights)
    print(
        f"plant: demo, {args.days} days from {START}, seed {args.seed}; last {args.nights} nights"
    )
    print("night       P1  traced  need  answered  missed / untraced P1")
    for s in labelled:
        extra = "; ".join(s.missed + s.untraced_p1)
        print(f"{s.as_of}  {s.p1:3d}  {s.p1_traced:6d}  {s.needing:4d}  {s.answered:8d}  {extra}")
    print(f"precision of priority 1: {_pct(precision(labelled))} (target >= 90%)")
    print(f"recall of faults needing action: {_pct(recall(labelled))} (target >= 95%)")
    p1_qm = sum(s.p1_quality_maintenance for s in clean)
    print(
        f"fault-free plant: {p1_qm} priority-1 quality or maintenance items over "
        f"{len(clean)} nights (target 0); all P1: {sum(s.p1 for s in clean)}"
    )
    for s in clean:
        for u in s.untraced_p1:
            print(f"  {s.as_of} {u}")


if __name__ == "__main__":
    main()
