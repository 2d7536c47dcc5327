"""Themes of feedback text: deterministic TF-IDF terms of one revision against its siblings.

Grain of ``themes``: one row per product and revision with complaint texts.

Words are lower-cased runs of letters (inner ' and - kept) of 3+ characters, less a small
English stop list (with generic words such as product, unit, part, lot, revision); runs
with a digit are identifiers (lot ids, part numbers) and left out. IDF is smoothed, ln((1 + N) / (1 + df)) + 1,
over every feedback text (all products and categories, so words common to all feedback weigh
little). A term's score for a revision is (tf in its complaints - tf in its siblings'
complaints) x IDF; the top terms with a positive score, ties by term, are its themes.
No language model, no network: the same texts give the same themes.
"""

from __future__ import annotations

import polars as pl

NEGATIVE = ("complaint", "return", "warranty")
THEMES = 5
_STOP_TEXT = """
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers him his how i if in into is it its itself just
me more most my no nor not now of off on once only or other our out over own same she should
so some such than that the their them then there these they this those through to too under
until up very was we were what when where which while who whom why will with would you your
yours really still got get one two three ok item unit units product products order
revision lot lots part parts piece pieces
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


def tokens(text: pl.Expr) -> pl.Expr:
    """Lower-case words of 3+ letters, stop words removed, as a list per text. A run with a
    digit (a lot id such as LOT-L2-00123, a part number) is an identifier, not a word."""
    runs = text.str.to_lowercase().str.extract_all(r"[a-z0-9][a-z0-9'\-]*")
    word = pl.element().str.contains(r"^[a-z][a-z'\-]*[a-z]$")
    return runs.list.eval(
        pl.element().filter(
            word & (pl.element().str.len_chars() >= 3) & ~pl.element().is_in(sorted(STOP_WORDS))
        )
    )


def themes(links: pl.LazyFrame, top: int = THEMES) -> pl.LazyFrame:
    """One row per product and revision: ``themes``, the complaint terms most over-weighted
    against the sibling revisions (TF-IDF difference, ties by term; positive scores only)."""
    words = links.select(
        "feedback_id", "product_id", "revision", "category", term=tokens(pl.col("text"))
    ).explode("term")
    words = words.drop_nulls("term")
    docs = links.select(pl.len().alias("_docs"))
    idf = (
        words.group_by("term")
        .agg(df=pl.col("feedback_id").n_unique())
        .join(docs, how="cross")
        .select("term", idf=((1 + pl.col("_docs")) / (1 + pl.col("df"))).log() + 1)
    )
    neg = words.filter(pl.col("category").is_in(NEGATIVE))
    counts = neg.group_by("product_id", "revision", "term").agg(c=pl.len())
    counts = counts.with_columns(
        tf=pl.col("c") / pl.col("c").sum().over("product_id", "revision"),
        total=pl.col("c").sum().over("product_id", "revision"),
    )
    sib = counts.select(
        "product_id",
        sib_revision=pl.col("revision"),
        term="term",
        sib_c=pl.col("c"),
        sib_total=pl.col("total"),
    )
    revs = counts.select("product_id", "revision").unique()
    sibling_tf = (
        revs.join(sib, on="product_id")
        .filter(pl.col("sib_revision") != pl.col("revision"))
        .group_by("product_id", "revision", "term")
        .agg(sib_c=pl.col("sib_c").sum())
    )
    sibling_total = (
        revs.join(sib.select("product_id", "sib_revision", "sib_total").unique(), on="product_id")
        .filter(pl.col("sib_revision") != pl.col("revision"))
        .group_by("product_id", "revision")
        .agg(sib_total=pl.col("sib_total").sum())
    )
    scored = (
        counts.join(sibling_tf, on=["product_id", "revision", "term"], how="left")
        .join(sibling_total, on=["product_id", "revision"], how="left")
        .join(idf, on="term")
        .with_columns(
            sib_tf=pl.when(pl.col("sib_total") > 0)
            .then(pl.col("sib_c").fill_null(0) / pl.col("sib_total"))
            .otherwise(0.0)
        )
        .with_columns(score=(pl.col("tf") - pl.col("sib_tf")) * pl.col("idf"))
        .filter(pl.col("score") > 0)
        .sort(["product_id", "revision", "score", "term"], descending=[False, False, True, False])
    )
    return scored.group_by("product_id", "revision", maintain_order=True).agg(
        themes=pl.col("term").head(top)
    )
