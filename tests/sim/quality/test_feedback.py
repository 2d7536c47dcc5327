"""Feedback loop: revision resolution, units shipped, insights, the rate test and themes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from scipy.stats import binomtest

from twin_core.sim.quality import feedback as fb
from twin_core.sim.quality import themes as fb_themes

T0 = datetime(2026, 3, 2, 6, 0)

MACHINES = pl.LazyFrame(
    {
        "machine_id": ["M1", "M2", "M3", "M4"],
        "line_id": ["L1", "L1", "L2", "L2"],
        "line_position": [1, 2, 1, 2],
    }
)
PRODUCTS = pl.LazyFrame(
    {"product_id": ["P", "P", "Q"], "revision": ["r9", "r10", "A"], "line_id": ["L1", "L2", "L2"]}
)


def _production(rows: Sequence[tuple[str, str, str, int, str | None]]) -> pl.LazyFrame:
    """(machine_id, product_id, lot_id, good_qty, revision)."""
    return pl.LazyFrame(
        [
            (f"R{i}", m, p, lot, T0, T0, good, 0, rev)
            for i, (m, p, lot, good, rev) in enumerate(rows)
        ],
        schema={
            "record_id": pl.String,
            "machine_id": pl.String,
            "product_id": pl.String,
            "lot_id": pl.String,
            "start_ts": pl.Datetime,
            "end_ts": pl.Datetime,
            "good_qty": pl.Int64,
            "scrap_qty": pl.Int64,
            "revision": pl.String,
        },
        orient="row",
    )


def _feedback(rows: Sequence[tuple[str, str | None, str | None, str, str]]) -> pl.LazyFrame:
    """(product_id, revision, lot_id, category, text)."""
    return pl.LazyFrame(
        [
            (f"F{i}", T0, "C1", p, rev, lot, cat, 3, None, text)
            for i, (p, rev, lot, cat, text) in enumerate(rows)
        ],
        schema={
            "feedback_id": pl.String,
            "received_at": pl.Datetime,
            "customer_id": pl.String,
            "product_id": pl.String,
            "revision": pl.String,
            "lot_id": pl.String,
            "category": pl.String,
            "severity": pl.Int64,
            "rating": pl.Int64,
            "text": pl.String,
        },
        orient="row",
    )


@pytest.mark.parametrize(
    ("k1", "t1", "k2", "t2", "expected"),
    [
        (3, 1.0, 0, 1.0, 1 / 8),  # all 3 on equal exposure: 0.5^3
        (5, 100.0, 1, 100.0, 7 / 64),  # P(X >= 5), X ~ Bin(6, 1/2) = (6 + 1) / 64
        (4, 1000.0, 2, 3000.0, 154 / 4096),  # X ~ Bin(6, 1/4): (15*9 + 6*3 + 1) / 4^6
        (0, 10.0, 5, 10.0, 1.0),  # no events: nothing to see
    ],
)
def test_poisson_rate_p_value_by_hand(
    k1: int, t1: float, k2: int, t2: float, expected: float
) -> None:
    """The exact conditional test gives the binomial tail computed by hand (and scipy agrees)."""
    got = fb.poisson_rate_p_value(k1, t1, k2, t2)
    assert got == pytest.approx(expected, rel=1e-12)
    if k1 + k2 > 0:
        reference = binomtest(k1, k1 + k2, t1 / (t1 + t2), alternative="greater").pvalue
        assert got == pytest.approx(reference, rel=1e-12)


def test_latest_revision_is_natural_order() -> None:
    """r10 comes after r9 (not before, as plain string order would have it)."""
    expected = pl.DataFrame({"product_id": ["P", "Q"], "latest_revision": ["r10", "A"]})
    assert_frame_equal(fb.latest_revisions(PRODUCTS).sort("product_id").collect(), expected)


def test_units_shipped_count_only_the_last_machine_of_the_line() -> None:
    """Good units off M2 (position 2 of L1) count; M1's upstream units do not; no revision -> latest."""
    production = _production(
        [("M1", "P", "A1", 100, "r9"), ("M2", "P", "A1", 95, "r9"), ("M2", "P", "A2", 50, None)]
    )
    expected = pl.DataFrame(
        {"product_id": ["P", "P"], "revision": ["r10", "r9"], "units_shipped": [50, 95]}
    )
    got = fb.shipped_units(production, MACHINES, PRODUCTS).sort("revision").collect()
    assert_frame_equal(got, expected)


def test_feedback_revision_comes_from_feedback_then_lot_then_latest() -> None:
    """Stated revision wins; else the lot's built revision with its lines and machines; else latest."""
    production = _production([("M1", "P", "A1", 100, "r9"), ("M2", "P", "A1", 95, "r9")])
    feedback = _feedback(
        [
            ("P", "r10", "A1", "complaint", "x"),
            ("P", None, "A1", "complaint", "x"),
            ("P", None, None, "complaint", "x"),
        ]
    )
    got = fb.feedback_links(feedback, production, MACHINES, PRODUCTS).sort("feedback_id")
    expected = pl.DataFrame(
        {
            "revision": ["r10", "r9", "r10"],
            "revision_source": ["feedback", "lot", "latest"],
            "lines": [["L1"], ["L1"], ["L2"]],
            "machines": [["M1", "M2"], ["M1", "M2"], []],
        }
    )
    assert_frame_equal(got.select(expected.columns).collect(), expected)


def test_insights_count_rate_per_thousand_and_traced_entities() -> None:
    """Two complaints on r9 with 400 units shipped: 5 per 1,000, lot A1 on line L1, M1 and M2."""
    production = _production([("M1", "P", "A1", 410, "r9"), ("M2", "P", "A1", 400, "r9")])
    feedback = _feedback([("P", None, "A1", "complaint", "x"), ("P", "r9", None, "complaint", "y")])
    links = fb.feedback_links(feedback, production, MACHINES, PRODUCTS)
    got = fb.feedback_insights(links, fb.shipped_units(production, MACHINES, PRODUCTS)).collect()
    expected = pl.DataFrame(
        {
            "product_id": ["P"],
            "revision": ["r9"],
            "category": ["complaint"],
            "feedback_count": [2],
            "rate_per_1000_units": [5.0],
            "lots": [["A1"]],
            "lines": [["L1"]],
            "machines": [["M1", "M2"]],
        }
    )
    assert_frame_equal(got.select(expected.columns), expected)


def _two_revisions(k9: int, k10: int) -> pl.DataFrame:
    """P r9 ships 1,000 units on line L1 (lot A1), r10 ships 3,000 on L2 (lot B1)."""
    production = _production([("M2", "P", "A1", 1000, "r9"), ("M4", "P", "B1", 3000, "r10")])
    feedback = _feedback(
        [("P", None, "A1", "complaint", "seal leaks after a week")] * k9
        + [("P", None, "B1", "return", "wrong colour delivered")] * k10
        + [("P", None, "B1", "praise", "great seal")]
    )
    links = fb.feedback_links(feedback, production, MACHINES, PRODUCTS)
    shipped = fb.shipped_units(production, MACHINES, PRODUCTS)
    return fb.revision_rates(links, shipped, PRODUCTS).collect()


def test_revision_with_elevated_rate_is_flagged_with_its_p_value_and_line() -> None:
    """12 complaints on 1,000 units against 2 on 3,000: p = P(X >= 12 | Bin(14, 1/4)), flagged, L1."""
    got = {r["revision"]: r for r in _two_revisions(12, 2).to_dicts()}
    expected_p = binomtest(12, 14, 0.25, alternative="greater").pvalue
    assert got["r9"]["p_value"] == pytest.approx(expected_p, rel=1e-12)
    assert (got["r9"]["flagged"], got["r9"]["lines"], got["r9"]["lots"]) == (True, ["L1"], ["A1"])
    assert got["r10"]["flagged"] is False


def test_equal_rates_are_not_flagged() -> None:
    """3 on 1,000 against 9 on 3,000 is the same rate: neither revision is flagged."""
    got = _two_revisions(3, 9)
    assert got["flagged"].to_list() == [False, False]


def test_themes_are_terms_over_weighted_against_siblings() -> None:
    """r9's complaints talk about leaking seals; r10's about colour: each gets its own terms."""
    got = {r["revision"]: r["themes"] for r in _two_revisions(12, 2).to_dicts()}
    assert set(got["r9"]) == {"seal", "leaks", "week"}
    assert set(got["r10"]) == {"wrong", "colour", "delivered"}


def test_themes_rank_by_score_then_term() -> None:
    """ "seal" also appears in praise, so its IDF is lower: leaks and week tie ahead, by term."""
    expected = ["leaks", "week", "seal"]
    got = {r["revision"]: r["themes"] for r in _two_revisions(12, 2).to_dicts()}
    assert got["r9"] == expected


def test_tokens_drop_identifiers_and_stop_words() -> None:
    """Lot ids and numbers are not words; stop words and short words go; hyphenated words stay."""
    frame = pl.DataFrame(
        {"text": ["The clip of LOT-L2-00123 cracks after 3 days, a well-known issue"]}
    )
    expected = [["clip", "cracks", "days", "well-known", "issue"]]
    assert frame.select(fb_themes.tokens(pl.col("text")))["text"].to_list() == expected
