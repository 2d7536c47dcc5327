"""The run-rule configuration of the SPC charts: which rules each series is checked with.

Kept apart from ``spc_rules`` (the rule maths) so that settings can declare it without
importing polars at start-up; ``spc_rules`` re-exports every name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    import polars as pl

RuleName = Literal[
    "WE1",
    "WE2",
    "WE3",
    "WE4",
    "NELSON1",
    "NELSON2",
    "NELSON3",
    "NELSON4",
    "NELSON5",
    "NELSON6",
    "NELSON7",
    "NELSON8",
]
RULES: tuple[str, ...] = get_args(RuleName)
Nelson8Reading = Literal["both_sides", "either_side"]
DEFAULT_RULES: tuple[RuleName, ...] = ("WE1", "WE2", "WE3", "WE4")
# Rules that test a single point against the control limits: the only ones that make sense
# on a skewed dispersion chart (R, S, MR) whose lower limit is often clipped at 0.
LIMIT_RULES: frozenset[str] = frozenset({"WE1", "NELSON1"})


class RuleOverride(BaseModel):
    """The rules of one product's series (one characteristic, or all when omitted)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    product_id: str
    characteristic: str | None = Field(
        default=None, description="The characteristic (or defect code); None: all of the product."
    )
    rules: tuple[RuleName, ...] = Field(description="Rules checked on this series; may be empty.")


class RuleConfig(BaseModel):
    """Which run rules each SPC series is checked with: a default set plus per-series overrides.

    An override naming a characteristic beats one naming only the product, which beats the
    default. In TOML::

        [spc_rules]
        default = ["WE1", "WE2", "WE3", "WE4"]
        [[spc_rules.overrides]]
        product_id = "P-100"
        characteristic = "bore_mm"
        rules = ["NELSON1", "NELSON2", "NELSON3", "NELSON5", "NELSON6"]
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    default: tuple[RuleName, ...] = Field(
        default=DEFAULT_RULES, description="Rules of every series without an override."
    )
    overrides: tuple[RuleOverride, ...] = Field(default=(), description="Per-series rule sets.")
    nelson8: Nelson8Reading = Field(
        default="both_sides",
        description="Nelson 8 (8 in a row beyond 1 sigma): 'both_sides' needs points on both "
        "sides of the centre among the 8 (Nelson 1984, the default); 'either_side' also fires "
        "when all 8 are on one side (Minitab's test 8).",
    )

    def enabled(self, series: pl.LazyFrame) -> pl.LazyFrame:
        """One row per (product_id, characteristic, rule) enabled, for the series given."""
        import polars as pl

        keys = series.select("product_id", "characteristic").unique()
        exact = pl.LazyFrame(
            [
                (o.product_id, o.characteristic, list(o.rules))
                for o in self.overrides
                if o.characteristic is not None
            ],
            schema={
                "product_id": pl.String,
                "characteristic": pl.String,
                "rules_exact": pl.List(pl.String),
            },
            orient="row",
        )
        product = pl.LazyFrame(
            [(o.product_id, list(o.rules)) for o in self.overrides if o.characteristic is None],
            schema={"product_id": pl.String, "rules_product": pl.List(pl.String)},
            orient="row",
        ).unique("product_id", keep="last", maintain_order=True)
        exact = exact.unique(["product_id", "characteristic"], keep="last", maintain_order=True)
        return (
            keys.join(exact, on=["product_id", "characteristic"], how="left")
            .join(product, on="product_id", how="left")
            .select(
                "product_id",
                "characteristic",
                rule=pl.coalesce(
                    "rules_exact", "rules_product", pl.lit(list(self.default), pl.List(pl.String))
                ),
            )
            .explode("rule")
            .drop_nulls("rule")
        )
