"""Customer feedback closed back onto revisions, lots, lines and machines.

- ``latest_revisions``: one row per product, its latest revision (natural order: "r10"
  after "r9", "B" after "A"), used where a record names no revision.
- ``shipped_units``: one row per product and revision: good units made by the last
  machine of the line (highest line_position), as docs/definitions.md defines units shipped.
- ``feedback_links``: one row per feedback: its revision (the feedback's own, else the
  revision its lot was built as, else the product's latest; ``revision_source`` says which),
  and the lines and machines that made its lot (the revision's master line when no lot).
- ``feedback_insights``: one row per product, revision and category: count, rate per 1,000
  units shipped, and the lots, lines and machines involved (sorted lists).
- ``revision_rates``: one row per revision of a product with at least two revisions: its
  complaint rate against its siblings' with an exact one-sided test, and its themes.

Complaints are the negative categories (complaint, return, warranty). The test is the exact
conditional test for two Poisson rates: given k = k1 + k2 complaints over t1 and t2 units
shipped, under equal rates k1 ~ Binomial(k, t1 / (t1 + t2)); p = P(X >= k1). A revision is
flagged when p < alpha and its rate is above its siblings'. Themes are the terms whose
TF-IDF weight in the revision's complaint texts most exceeds that in its siblings' (IDF
over every feedback text), a deterministic bag-of-words: no model.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from twin_core.sim.quality.themes import NEGATIVE, themes

ALPHA = 0.01
TEST_NAME = "exact conditional binomial test of two Poisson rates, one-sided (greater)"


def _natural_key(col: str) -> pl.Expr:
    """A sort key that orders digit runs by value: zero-pad each to 12 places."""
    parts = pl.col(col).str.extract_all(r"\d+|\D+")
    padded = parts.list.eval(
        pl.when(pl.element().str.contains(r"^\d"))
        .then(pl.element().str.zfill(12))
        .otherwise(pl.element())
    )
    return padded.list.join("")


def latest_revisions(products: pl.LazyFrame) -> pl.LazyFrame:
    """One row per product: ``latest_revision`` (highest in natural order)."""
    return (
        products.select("product_id", "revision")
        .unique()
        .with_columns(_key=_natural_key("revision"))
        .sort("product_id", "_key", "revision")
        .group_by("product_id", maintain_order=True)
        .agg(latest_revision=pl.col("revision").last())
    )


def production_revisions(production: pl.LazyFrame, products: pl.LazyFrame) -> pl.LazyFrame:
    """Production records with ``revision`` filled from the product's latest where absent."""
    return production.join(latest_revisions(products), on="product_id", how="left").with_columns(
        revision=pl.coalesce("revision", "latest_revision")
    )


def shipped_units(
    production: pl.LazyFrame, machines: pl.LazyFrame, products: pl.LazyFrame
) -> pl.LazyFrame:
    """One row per product and revision: ``units_shipped`` (good units off the line's last machine)."""
    last = machines.filter(
        pl.col("line_position") == pl.col("line_position").max().over("line_id")
    ).select("machine_id")
    return (
        production_revisions(production, products)
        .join(last, on="machine_id", how="semi")
        .group_by("product_id", "revision")
        .agg(units_shipped=pl.col("good_qty").sum().cast(pl.Int64))
    )


def feedback_links(
    feedback: pl.LazyFrame,
    production: pl.LazyFrame,
    machines: pl.LazyFrame,
    products: pl.LazyFrame,
) -> pl.LazyFrame:
    """Each feedback with its revision, how it was found, and the lines and machines of its lot."""
    made = production_revisions(production, products).join(
        machines.select("machine_id", "line_id"), on="machine_id", how="left"
    )
    lots = made.group_by("product_id", "lot_id").agg(
        # A lot built as two revisions is a data error upstream; take the latest record's.
        lot_revision=pl.col("revision").sort_by("end_ts", "record_id").last(),
        lot_lines=pl.col("line_id").drop_nulls().unique().sort(),
        lot_machines=pl.col("machine_id").unique().sort(),
    )
    master_line = products.group_by("product_id", "revision").agg(
        master_lines=pl.col("line_id").drop_nulls().unique().sort()
    )
    source = (
        pl.when(pl.col("revision").is_not_null())
        .then(pl.lit("feedback"))
        .when(pl.col("lot_revision").is_not_null())
        .then(pl.lit("lot"))
        .when(pl.col("latest_revision").is_not_null())
        .then(pl.lit("latest"))
    )
    return (
        feedback.join(lots, on=["product_id", "lot_id"], how="left")
        .join(latest_revisions(products), on="product_id", how="left")
        .with_columns(
            revision_source=source,
            revision=pl.coalesce("revision", "lot_revision", "latest_revision"),
        )
        .join(master_line, on=["product_id", "revision"], how="left")
        .with_columns(
            lines=pl.coalesce("lot_lines", "master_lines", pl.lit([], pl.List(pl.String))),
            machines=pl.col("lot_machines").fill_null(pl.lit([], pl.List(pl.String))),
        )
        .drop("lot_revision", "latest_revision", "lot_lines", "lot_machines", "master_lines")
    )


def _involved(col: str) -> pl.Expr:
    return pl.col(col).explode().drop_nulls().unique().sort()


def feedback_insights(links: pl.LazyFrame, shipped: pl.LazyFrame) -> pl.LazyFrame:
    """One row per product, revision and category: feedback_count, units_shipped,
    rate_per_1000_units (null without shipped units), lots, lines, machines (lists)."""
    return (
        links.group_by("product_id", "revision", "category")
        .agg(
            feedback_count=pl.len().cast(pl.Int64),
            lots=pl.col("lot_id").drop_nulls().unique().sort(),
            lines=_involved("lines"),
            machines=_involved("machines"),
        )
        .join(shipped, on=["product_id", "revision"], how="left")
        .with_columns(
            rate_per_1000_units=pl.when(pl.col("units_shipped") > 0).then(
                1000.0 * pl.col("feedback_count") / pl.col("units_shipped")
            )
        )
        .sort("product_id", "revision", "category")
    )


def poisson_rate_p_value(k1: int, t1: float, k2: int, t2: float) -> float:
    """One-sided p-value that rate 1 (k1 events over exposure t1) exceeds rate 2 (k2 over t2):
    P(X >= k1) for X ~ Binomial(k1 + k2, t1 / (t1 + t2))."""
    if t1 <= 0 or t2 <= 0:
        raise ValueError("both exposures must be positive")
    # scipy.stats takes about 0.7 s to import: loaded on first use, not when the nightly starts
    from scipy.stats import binom

    return float(binom.sf(k1 - 1, k1 + k2, t1 / (t1 + t2)))


def _p_values(s: pl.Series) -> pl.Series:
    # scipy.stats takes about 0.7 s to import: loaded on first use, not when the nightly starts
    from scipy.stats import binom

    k1 = s.struct.field("k1").to_numpy().astype(float)
    k2 = s.struct.field("k2").to_numpy().astype(float)
    t1 = s.struct.field("t1").to_numpy().astype(float)
    t2 = s.struct.field("t2").to_numpy().astype(float)
    ok = (t1 > 0) & (t2 > 0)
    share = np.divide(t1, t1 + t2, out=np.zeros_like(t1), where=ok)
    p = binom.sf(k1 - 1, k1 + k2, share)
    return pl.Series(np.where(ok, p, np.nan)).fill_nan(None)


def revision_rates(
    links: pl.LazyFrame, shipped: pl.LazyFrame, products: pl.LazyFrame, alpha: float = ALPHA
) -> pl.LazyFrame:
    """One row per revision of a product with two or more revisions.

    Columns: product_id, revision, complaints, units_shipped, rate_per_1000_units,
    sibling_complaints, sibling_units, sibling_rate_per_1000_units, test, p_value, flagged,
    themes, lots, lines, machines (lists, lines and machines by descending complaint count).
    """
    neg = links.filter(pl.col("category").is_in(NEGATIVE))
    revs = (
        products.select("product_id", "revision")
        .unique()
        .join(shipped, on=["product_id", "revision"], how="full", coalesce=True)
        .join(
            neg.group_by("product_id", "revision").agg(complaints=pl.len().cast(pl.Int64)),
            on=["product_id", "revision"],
            how="full",
            coalesce=True,
        )
        .with_columns(pl.col("units_shipped", "complaints").fill_null(0))
        .filter(pl.col("revision").is_not_null())
        .filter(pl.len().over("product_id") >= 2)
    )
    totals = (
        pl.col("complaints").sum().over("product_id"),
        pl.col("units_shipped").sum().over("product_id"),
    )
    rate = pl.when(pl.col("units_shipped") > 0).then(
        1000.0 * pl.col("complaints") / pl.col("units_shipped")
    )
    sib_rate = pl.when(pl.col("sibling_units") > 0).then(
        1000.0 * pl.col("sibling_complaints") / pl.col("sibling_units")
    )
    p_value = pl.struct(
        k1="complaints", t1="units_shipped", k2="sibling_complaints", t2="sibling_units"
    ).map_batches(_p_values, return_dtype=pl.Float64)
    ranked_lines = _ranked(neg, "lines")
    ranked_machines = _ranked(neg, "machines")
    lots = neg.group_by("product_id", "revision").agg(
        lots=pl.col("lot_id").drop_nulls().unique().sort()
    )
    return (
        revs.with_columns(
            sibling_complaints=totals[0] - pl.col("complaints"),
            sibling_units=totals[1] - pl.col("units_shipped"),
        )
        .with_columns(
            rate_per_1000_units=rate,
            sibling_rate_per_1000_units=sib_rate,
            test=pl.lit(TEST_NAME),
            p_value=p_value,
        )
        .with_columns(
            flagged=(pl.col("p_value") < alpha)
            & (pl.col("rate_per_1000_units") > pl.col("sibling_rate_per_1000_units"))
        )
        .with_columns(pl.col("flagged").fill_null(False))
        .join(themes(links), on=["product_id", "revision"], how="left")
        .join(lots, on=["product_id", "revision"], how="left")
        .join(ranked_lines, on=["product_id", "revision"], how="left")
        .join(ranked_machines, on=["product_id", "revision"], how="left")
        .with_columns(
            pl.col(c).fill_null(pl.lit([], pl.List(pl.String)))
            for c in ("themes", "lots", "lines", "machines")
        )
        .sort("product_id", "revision")
    )


def _ranked(neg: pl.LazyFrame, col: str) -> pl.LazyFrame:
    """Per revision, the entities of ``col`` ordered by how many complaints name them."""
    return (
        neg.select("product_id", "revision", col)
        .explode(col)
        .drop_nulls(col)
        .group_by("product_id", "revision", col)
        .agg(_n=pl.len())
        .sort(["product_id", "revision", "_n", col], descending=[False, False, True, False])
        .group_by("product_id", "revision", maintain_order=True)
        .agg(pl.col(col))
    )
