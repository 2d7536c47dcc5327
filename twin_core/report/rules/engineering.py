"""Engineering instructions: product revisions with elevated customer feedback, with the
lots, lines and machines it traces to and the themes of its text.

Grain: one item per flagged (product, revision). The flag comes from history.revision_flags
when the feedback builder provides it (its own statistical test); without it, a revision
whose complaint rate is at least ``RATE_RATIO`` times the pooled rate of its sibling
revisions, on at least ``MIN_COMPLAINTS`` complaints, is flagged here.
Numbers: history.revision_flags, history.feedback_insights.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from twin_core.report.data import ReportData
from twin_core.report.rules._common import Instruction, as_list, num, records, short_list

COMPLAINT_CATEGORIES = ("complaint", "return", "warranty")
RATE_RATIO = 2.0
MIN_COMPLAINTS = 3
# Columns of history.revision_flags that are not evidence.
FLAG_KEYS = ("product_id", "revision", "site_id", "flagged", "lots", "lines", "machines")


def _trace(data: ReportData) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (product, revision): complaint count and rate, and the lots, lines and machines."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for r in records(data.table("feedback_insights")):
        if str(r.get("category")) not in COMPLAINT_CATEGORIES:
            continue
        key = (str(r["product_id"]), str(r.get("revision")))
        t = out.setdefault(
            key, {"count": 0, "rate": 0.0, "lots": set(), "lines": set(), "machines": set()}
        )
        t["count"] += int(r.get("feedback_count") or 0)
        t["rate"] += float(r.get("rate_per_1000_units") or 0.0)
        for col in ("lots", "lines", "machines"):
            t[col].update(as_list(r.get(col)))
    return out


def _flag_evidence(r: dict[str, Any]) -> str:
    """The test behind a flag, from the columns history.revision_flags has."""
    parts = []
    if r.get("rate_per_1000_units") is not None:
        parts.append(
            f"complaint rate {num(r['rate_per_1000_units'], 2)} per 1000 units "
            f"({r.get('complaints', '?')} of {r.get('units_shipped', '?')})"
        )
    if r.get("sibling_rate_per_1000_units") is not None:
        parts.append(
            f"other revisions {num(r['sibling_rate_per_1000_units'], 2)} per 1000 "
            f"({r.get('sibling_complaints', '?')} of {r.get('sibling_units', '?')})"
        )
    if r.get("p_value") is not None:
        parts.append(f"{r.get('test') or 'test'} p = {float(r['p_value']):.2g}")
    themes = as_list(r.get("themes"))
    if themes:
        parts.append(f"themes: {short_list(themes)}")
    known = {
        "complaints",
        "units_shipped",
        "rate_per_1000_units",
        "sibling_complaints",
        "sibling_units",
        "sibling_rate_per_1000_units",
        "test",
        "p_value",
        "themes",
    }
    # Columns this module does not know yet still reach the reader as name=value.
    parts += [
        f"{k}={num(v, 3) if isinstance(v, float) else v}"
        for k, v in r.items()
        if k not in FLAG_KEYS and k not in known and v is not None and v != ""
    ]
    return "; ".join(parts)


def _flags_from_table(data: ReportData) -> list[tuple[str, str, str, dict[str, list[str]]]]:
    """(product, revision, evidence, traced lots/lines/machines) from history.revision_flags."""
    found: list[tuple[str, str, str, dict[str, list[str]]]] = []
    for r in records(data.table("revision_flags")):
        if "flagged" in r and not r["flagged"]:
            continue
        traced = {col: as_list(r.get(col)) for col in ("lots", "lines", "machines", "themes")}
        found.append((str(r["product_id"]), str(r.get("revision")), _flag_evidence(r), traced))
    return found


def _flags_from_rates(
    trace: dict[tuple[str, str], dict[str, Any]],
) -> list[tuple[str, str, str, dict[str, list[str]]]]:
    by_product: dict[str, list[str]] = defaultdict(list)
    for product, revision in trace:
        by_product[product].append(revision)
    found: list[tuple[str, str, str, dict[str, list[str]]]] = []
    for product, revisions in sorted(by_product.items()):
        for rev in sorted(revisions):
            siblings = [trace[(product, s)]["rate"] for s in revisions if s != rev]
            if not siblings:
                continue
            mine, count = trace[(product, rev)]["rate"], trace[(product, rev)]["count"]
            pooled = sum(siblings) / len(siblings)
            if count >= MIN_COMPLAINTS and mine >= RATE_RATIO * pooled and mine > pooled:
                found.append(
                    (
                        product,
                        rev,
                        f"complaint rate {num(mine, 2)} per 1000 units vs {num(pooled, 2)} for "
                        f"the other revisions ({RATE_RATIO:g}x rule)",
                        {},
                    )
                )
    return found


def engineering_instructions(data: ReportData) -> list[Instruction]:
    trace = _trace(data)
    from_table = data.table("revision_flags") is not None
    flags = _flags_from_table(data) if from_table else _flags_from_rates(trace)
    items: list[Instruction] = []
    for product, revision, evidence, traced in sorted(flags, key=lambda f: (f[0], f[1])):
        t = trace.get((product, revision), {})
        # The flag's own trace is ordered most complaints first; feedback_insights' is a set.
        lots = traced.get("lots") or sorted(t.get("lots", ()))
        lines = traced.get("lines") or sorted(t.get("lines", ()))
        machines = traced.get("machines") or sorted(t.get("machines", ()))
        action = f"Review revision {revision} of product {product} for a design or process cause"
        if lines:
            action += f", starting with line {lines[0]}"
        if lots:
            action += f" and lots {short_list(lots, 3)}"
        if traced.get("themes"):
            action += f"; complaints mention {short_list(traced['themes'], 4)}"
        items.append(
            Instruction(
                "engineering",
                2,
                action + ".",
                f"{'history.revision_flags' if from_table else 'history.feedback_insights'}: "
                f"{evidence}; {t.get('count', 0)} complaints/returns/warranty claims, "
                f"{num(t.get('rate'), 2)} per 1000 units; lots {short_list(lots) or 'none'}; "
                f"lines {short_list(lines) or 'none'}; machines {short_list(machines) or 'none'} "
                "(history.feedback_insights)",
                data.snapshot.as_of + timedelta(days=7),
                "revision",
                f"{product}@{revision}",
                lines[0] if lines else None,
                "history.revision_flags, history.feedback_insights"
                if from_table
                else "history.feedback_insights",
                float(t.get("rate", 0.0)),
                kind="review_revision",
                loss=float(t.get("count", 0) or 0),
                loss_unit="complaints, returns and warranty claims so far",
                cause_id=f"revision:{product}@{revision}",
            )
        )
    return items
