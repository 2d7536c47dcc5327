"""Extract contract v1: one definition per landing source.

This module is the single source of truth for what upstream systems deliver. The
same definitions drive the DuckDB types of raw and core tables (ingest), the
Great Expectations suites (validation), the synthetic plant (which must satisfy
them) and the README's description of the extracts (``twin contracts``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DuckType = Literal["VARCHAR", "DOUBLE", "BIGINT", "TIMESTAMP", "DATE"]
System = Literal["iot", "erp", "mes", "qms", "crm"]
Severity = Literal["error", "warning"]


class Column(BaseModel):
    """One column of a source, with the row-level rules that apply to it."""

    model_config = ConfigDict(frozen=True)

    name: str
    type: DuckType
    required: bool = True
    description: str = ""
    min: float | None = Field(default=None, description="Inclusive lower bound.")
    max: float | None = Field(default=None, description="Inclusive upper bound.")
    strict_min: bool = Field(default=False, description="The lower bound is exclusive.")
    strict_max: bool = Field(default=False, description="The upper bound is exclusive.")
    allowed: tuple[str, ...] | None = Field(default=None, description="Allowed values.")
    references: tuple[str, str] | None = Field(
        default=None, description="(source, column) this column must match."
    )
    default: float | str | None = Field(
        default=None, description="Value used downstream when an optional column is empty."
    )


class RowRule(BaseModel):
    """A cross-column rule. ``predicate`` is a SQL boolean over the row's own columns,
    written here by the project (never from user input); a row passes when it is true."""

    model_config = ConfigDict(frozen=True)

    name: str
    predicate: str
    description: str
    severity: Severity = "error"
    shown: tuple[str, ...] = Field(
        default=(), description="Columns whose values the quarantine reason quotes."
    )


class Source(BaseModel):
    """A landing source: ``landing/<name>/`` holds its files."""

    model_config = ConfigDict(frozen=True)

    name: str
    system: System
    kind: Literal["master", "transaction"]
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    optional: bool = Field(default=False, description="The plant may not deliver it at all.")
    event_time: str | None = Field(
        default=None, description="Column placing a row in time (freshness, daily files)."
    )
    rules: tuple[RowRule, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


def _id(name: str, description: str = "", references: tuple[str, str] | None = None) -> Column:
    return Column(name=name, type="VARCHAR", description=description, references=references)


def _text(name: str, required: bool = True, description: str = "") -> Column:
    return Column(name=name, type="VARCHAR", required=required, description=description)


def _ts(name: str, required: bool = True, description: str = "") -> Column:
    return Column(name=name, type="TIMESTAMP", required=required, description=description)


def _date(name: str, required: bool = True, description: str = "") -> Column:
    return Column(name=name, type="DATE", required=required, description=description)


_END_AFTER_START = RowRule(
    name="end_after_start",
    predicate="end_ts >= start_ts",
    description="end_ts is not before start_ts",
)

# Shifts are full timestamps, so an overnight shift (22:00 -> 06:00 the next day) ends after it
# starts; one that does not plans no time and is a data error, not a 24-hour line.
_SHIFT_HAS_LENGTH = RowRule(
    name="shift_end_after_start",
    predicate="end_ts > start_ts",
    description="end_ts is strictly after start_ts (a zero-length or inverted shift plans no "
    "time; an overnight shift ends on the next day)",
    shown=("end_ts",),
)

SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        # ---------------------------------------------------------------- master data
        Source(
            name="machines",
            system="mes",
            kind="master",
            description="One row per machine: where it stands and how fast it ideally cycles.",
            key=("machine_id",),
            columns=(
                _id("machine_id"),
                _id("line_id"),
                _id("site_id"),
                _text("name"),
                _text("machine_type"),
                Column(
                    name="line_position",
                    type="BIGINT",
                    min=1,
                    description="Order along the line, 1 = first station.",
                ),
                Column(
                    name="ideal_cycle_time_s",
                    type="DOUBLE",
                    min=0,
                    strict_min=True,
                    description="Seconds per unit at the ideal rate (ISO 22400).",
                ),
            ),
        ),
        Source(
            name="sensors",
            system="iot",
            kind="master",
            description="One row per sensor: what it measures, on which machine, and its limits.",
            key=("sensor_id",),
            columns=(
                _id("sensor_id"),
                _id("machine_id", references=("machines", "machine_id")),
                _text("metric", description="temperature, vibration, power, speed, pressure, ..."),
                _text("unit"),
                Column(
                    name="valid_min",
                    type="DOUBLE",
                    required=False,
                    description="Physical range of the sensor: below is a sensor fault.",
                ),
                Column(name="valid_max", type="DOUBLE", required=False),
                Column(
                    name="alarm_low",
                    type="DOUBLE",
                    required=False,
                    description="Process alarm limits: the machine is at its limits.",
                ),
                Column(name="alarm_high", type="DOUBLE", required=False),
            ),
            rules=(
                RowRule(
                    name="valid_range_ordered",
                    predicate="valid_min is null or valid_max is null or valid_min <= valid_max",
                    description="valid_min <= valid_max",
                ),
                RowRule(
                    name="alarm_range_ordered",
                    predicate="alarm_low is null or alarm_high is null or alarm_low <= alarm_high",
                    description="alarm_low <= alarm_high",
                ),
            ),
        ),
        Source(
            name="products",
            system="erp",
            kind="master",
            description="One row per product revision, with the line that builds it.",
            key=("product_id", "revision"),
            columns=(_id("product_id"), _text("name"), _text("revision"), _id("line_id")),
        ),
        Source(
            name="bom",
            system="erp",
            kind="master",
            description="Bill of materials: quantity of each material per unit of product.",
            key=("product_id", "material_id"),
            columns=(
                _id("product_id", references=("products", "product_id")),
                _id("material_id", references=("materials", "material_id")),
                Column(name="qty_per", type="DOUBLE", min=0, strict_min=True),
            ),
        ),
        Source(
            name="materials",
            system="erp",
            kind="master",
            description="One row per purchased material, with its supplier and planned lead time.",
            key=("material_id",),
            columns=(
                _id("material_id"),
                _text("name"),
                _text("unit"),
                Column(name="unit_cost", type="DOUBLE", min=0),
                _id("supplier_id", references=("suppliers", "supplier_id")),
                Column(name="lead_time_days", type="DOUBLE", min=0),
                Column(name="min_order_qty", type="DOUBLE", required=False, min=0),
                Column(
                    name="service_level",
                    type="DOUBLE",
                    required=False,
                    min=0,
                    strict_min=True,
                    max=1,
                    strict_max=True,
                    default=0.95,
                    description="Target probability of no stockout in a cycle, strictly "
                    "between 0 and 1 (0 plans no stock, 1 would need infinite stock).",
                ),
            ),
        ),
        Source(
            name="suppliers",
            system="erp",
            kind="master",
            description="One row per supplier.",
            key=("supplier_id",),
            columns=(_id("supplier_id"), _text("name"), _text("country", required=False)),
        ),
        Source(
            name="shifts",
            system="mes",
            kind="master",
            optional=True,
            description="Planned production windows per line; without it a line is planned 24/7 "
            "less its planned_stop events.",
            key=("line_id", "start_ts"),
            event_time="start_ts",
            columns=(_id("line_id"), _ts("start_ts"), _ts("end_ts")),
            rules=(_SHIFT_HAS_LENGTH,),
        ),
        # ---------------------------------------------------------------- transactions
        Source(
            name="sensor_readings",
            system="iot",
            kind="transaction",
            description="One row per sensor sample.",
            key=("sensor_id", "ts"),
            event_time="ts",
            columns=(
                _id("sensor_id", references=("sensors", "sensor_id")),
                _ts("ts"),
                Column(
                    name="value",
                    type="DOUBLE",
                    min=-1e15,
                    max=1e15,
                    description="Finite measured value in the sensor's unit.",
                ),
                Column(
                    name="quality",
                    type="VARCHAR",
                    required=False,
                    allowed=("good", "uncertain", "bad"),
                    default="good",
                ),
            ),
        ),
        Source(
            name="machine_events",
            system="mes",
            kind="transaction",
            description="State intervals per machine.",
            key=("machine_id", "start_ts"),
            event_time="start_ts",
            columns=(
                _id("machine_id", references=("machines", "machine_id")),
                _ts("start_ts"),
                _ts("end_ts"),
                Column(
                    name="state",
                    type="VARCHAR",
                    allowed=("running", "idle", "setup", "down", "planned_stop"),
                ),
                _text("reason_code", required=False),
            ),
            rules=(_END_AFTER_START,),
        ),
        Source(
            name="production",
            system="mes",
            kind="transaction",
            description="Units made per machine per production record (lot on a machine).",
            key=("record_id",),
            event_time="end_ts",
            columns=(
                _id("record_id"),
                _id("work_order_id"),
                _id("machine_id", references=("machines", "machine_id")),
                _id("product_id", references=("products", "product_id")),
                _id("lot_id"),
                _ts("start_ts"),
                _ts("end_ts"),
                Column(name="good_qty", type="BIGINT", min=0),
                Column(name="scrap_qty", type="BIGINT", min=0),
                _text(
                    "revision",
                    required=False,
                    description="Revision built; if absent, the product's only or latest.",
                ),
            ),
            rules=(_END_AFTER_START,),
        ),
        Source(
            name="work_orders",
            system="erp",
            kind="transaction",
            description="Production orders per product and line.",
            key=("work_order_id",),
            event_time="due_date",
            columns=(
                _id("work_order_id"),
                _id("product_id", references=("products", "product_id")),
                _id("line_id"),
                Column(name="qty", type="DOUBLE", min=0, strict_min=True),
                _date("due_date"),
                Column(
                    name="status",
                    type="VARCHAR",
                    allowed=("planned", "released", "in_progress", "completed", "cancelled"),
                ),
            ),
        ),
        Source(
            name="demand",
            system="crm",
            kind="transaction",
            description="Customer order lines.",
            key=("order_id",),
            event_time="due_date",
            columns=(
                _id("order_id"),
                _id("product_id", references=("products", "product_id")),
                _date("due_date"),
                Column(name="qty", type="DOUBLE", min=0, strict_min=True),
                _text("customer_id", required=False),
            ),
        ),
        Source(
            name="inventory",
            system="erp",
            kind="transaction",
            description="On-hand stock per site and material as of a date.",
            key=("site_id", "material_id", "as_of"),
            event_time="as_of",
            columns=(
                _id("site_id"),
                _id("material_id", references=("materials", "material_id")),
                Column(name="on_hand", type="DOUBLE", min=0),
                _date("as_of"),
            ),
        ),
        Source(
            name="purchase_orders",
            system="erp",
            kind="transaction",
            description="Purchase orders with promised and (once received) actual receipt.",
            key=("po_id",),
            event_time="order_date",
            columns=(
                _id("po_id"),
                _id("material_id", references=("materials", "material_id")),
                _id("supplier_id", references=("suppliers", "supplier_id")),
                Column(name="qty", type="DOUBLE", min=0, strict_min=True),
                _date("order_date"),
                _date("promised_date"),
                _date("received_date", required=False),
                Column(name="received_qty", type="DOUBLE", required=False, min=0),
            ),
            rules=(
                RowRule(
                    name="promised_after_order",
                    predicate="promised_date >= order_date",
                    description="promised_date is not before order_date",
                ),
                RowRule(
                    name="received_after_order",
                    predicate="received_date is null or received_date >= order_date",
                    description="received_date is not before order_date",
                ),
            ),
        ),
        Source(
            name="inspections",
            system="qms",
            kind="transaction",
            description="Variables measurements of a characteristic on a part of a lot.",
            key=("inspection_id",),
            event_time="ts",
            columns=(
                _id("inspection_id"),
                _ts("ts"),
                _id("lot_id"),
                _id("product_id", references=("products", "product_id")),
                _id("machine_id", references=("machines", "machine_id")),
                _text("characteristic"),
                Column(name="value", type="DOUBLE", min=-1e15, max=1e15),
                Column(name="lsl", type="DOUBLE", required=False),
                Column(name="usl", type="DOUBLE", required=False),
                Column(name="target", type="DOUBLE", required=False),
            ),
            rules=(
                RowRule(
                    name="spec_limits_ordered",
                    predicate="lsl is null or usl is null or lsl < usl",
                    description="lsl < usl",
                ),
            ),
        ),
        Source(
            name="defects",
            system="qms",
            kind="transaction",
            description="Attribute inspection results: defects of a code found in a lot.",
            key=("lot_id", "defect_code"),
            event_time="ts",
            columns=(
                _id("lot_id"),
                _ts("ts"),
                _id("product_id", references=("products", "product_id")),
                _id("line_id"),
                Column(
                    name="inspected_qty",
                    type="DOUBLE",
                    min=1,
                    description="Units inspected; u charts take any size (areas, lengths, "
                    "weights: 9.5 units of cloth), p and np charts whole units only.",
                ),
                _text("defect_code"),
                Column(name="defect_qty", type="BIGINT", min=0),
            ),
            rules=(
                RowRule(
                    name="defects_within_inspected",
                    predicate="defect_qty <= inspected_qty",
                    description="defect_qty does not exceed inspected_qty",
                ),
                # A warning, not a quarantine: a fractional size (9.5 units of cloth) is a
                # good u-chart size, so the row is promoted exactly; only the p / np chart of
                # its code leaves the lot out (twin_core.sim.quality.attributes). Severity "error"
                # quarantines such rows instead (a plant whose sizes are always counts).
                RowRule(
                    name="inspected_whole_units",
                    predicate="inspected_qty = floor(inspected_qty)",
                    description="inspected_qty is a whole number of units: each defect code's "
                    "p or np chart counts defective units and needs whole counts, so a lot with "
                    "a fractional size (such as 9.5 units of cloth) is left out of the "
                    "defect:<code> p/np charts and kept, at its exact size, on the defects:all "
                    "u chart",
                    severity="warning",
                ),
            ),
        ),
        Source(
            name="customer_feedback",
            system="crm",
            kind="transaction",
            description="What customers report, optionally naming the revision and lot.",
            key=("feedback_id",),
            event_time="received_at",
            columns=(
                _id("feedback_id"),
                _ts("received_at"),
                _text("customer_id"),
                _id("product_id", references=("products", "product_id")),
                _text("revision", required=False),
                _text("lot_id", required=False),
                Column(
                    name="category",
                    type="VARCHAR",
                    allowed=("complaint", "return", "warranty", "praise", "suggestion"),
                ),
                Column(name="severity", type="BIGINT", min=1, max=5),
                Column(name="rating", type="BIGINT", required=False, min=1, max=5),
                _text("text"),
            ),
        ),
    )
}

MASTER_SOURCES: tuple[str, ...] = tuple(n for n, s in SOURCES.items() if s.kind == "master")
TRANSACTION_SOURCES: tuple[str, ...] = tuple(
    n for n, s in SOURCES.items() if s.kind == "transaction"
)


def get_source(name: str) -> Source:
    """The contract of a source, or a clear error naming the known ones."""
    try:
        return SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(SOURCES)}") from None


# Contract columns whose type a later migration changed: (source, column) -> (the type 030_raw
# and 035_core were generated with, the migration that changed it). Those two files are
# applied migrations and stay as they were; the warehouse after every migration has the
# contract's current types (tests/test_warehouse.py checks both).
RETYPED: dict[tuple[str, str], tuple[str, str]] = {
    ("defects", "inspected_qty"): ("BIGINT", "094_inspected_qty_double"),
}


# The sources 030_raw.sql and 035_core.sql were generated with. Those files are applied
# migrations and stay as they were; a source added later gets its raw and core tables from its
# own migration (`twin migration NNN_name` generates it from twin_core/tables.py).
LAYER_FILE_SOURCES: tuple[str, ...] = (
    "machines",
    "sensors",
    "products",
    "bom",
    "materials",
    "suppliers",
    "shifts",
    "sensor_readings",
    "machine_events",
    "production",
    "work_orders",
    "demand",
    "inventory",
    "purchase_orders",
    "inspections",
    "defects",
    "customer_feedback",
)


def table_ddl(
    source: Source, layer: Literal["raw", "core"], *, as_first_applied: bool = False
) -> str:
    """``create table`` for a source's raw or core table.

    Both hold the typed contract columns and the row's provenance. Raw also keeps the
    extra columns a file carried beyond the contract (``_extra``, JSON text: schema
    drift is kept, never dropped) and when it was ingested.
    """

    def col_type(c: Column) -> str:
        if as_first_applied and (source.name, c.name) in RETYPED:
            return RETYPED[(source.name, c.name)][0]
        return c.type

    cols = [f"    {c.name} {col_type(c)}" for c in source.columns]
    cols += [
        "    _batch_id VARCHAR not null",
        "    _file VARCHAR not null",
        "    _row BIGINT not null",
    ]
    if layer == "raw":
        cols += ["    _extra VARCHAR", "    _ingested_at TIMESTAMP not null"]
    body = ",\n".join(cols)
    return f"create table if not exists {layer}.{source.name} (\n{body}\n);"


def render_layer_sql(layer: Literal["raw", "core"], *, as_first_applied: bool = False) -> str:
    """The schema file for a layer, generated from the contracts. ``as_first_applied``: with
    the types of columns a later migration retyped (``RETYPED``) as they were, which is what
    the file in ``sql/schema`` holds (a test keeps the two equal)."""
    what = {
        "raw": "Raw layer: every row ingest read and could type, with provenance; by batch.",
        "core": "Core layer: validated rows, one per contract key (later rows replace earlier).",
    }[layer]
    head = f"-- {what}\n-- Generated from twin_core/contracts.py by `twin contracts --ddl {layer}`; do not edit.\n"
    return (
        head
        + "\n\n".join(
            table_ddl(s, layer, as_first_applied=as_first_applied)
            for s in SOURCES.values()
            if not as_first_applied or s.name in LAYER_FILE_SOURCES
        )
        + "\n"
    )
