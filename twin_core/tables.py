"""Every warehouse table declared once: columns, types, grain and meaning.

``twin_core/contracts.py`` declares the landing sources (and so ``raw.*`` and ``core.*``);
this module declares every other table: the twin's ``history.*`` (shown as ``twin.*`` and
``report.*`` views of the latest snapshot), ``scenario.*``, ``quality.*``, ``ingest.*`` and
``meta.*``. From these declarations come:

- the DuckDB ``COMMENT ON TABLE / VIEW / COLUMN`` of every table, view and column, in the
  warehouse (``apply_comments`` runs at every open) and in the published ``plant.duckdb``;
- the data dictionary (``twin dictionary``, ``twin_core/dictionary.py``, docs/dictionary.md);
- the DDL of a new table and the ``alter table ... add column`` of a new column
  (``migration_sql``: ``twin migration NNN_name`` writes it as the next migration file);
- the polars schema of a table (``polars_schema``) for code that builds frames for it.

Migrations in ``sql/schema`` stay the record of what was applied (they are immutable and
checksummed); ``tests/test_tables.py`` keeps this declaration equal to the catalogue the
migrations create, and an upgraded warehouse equal to a fresh one.

A column declared without a description takes the shared meaning of its name (``COMMON``):
ids and the like mean the same in every table.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import duckdb
import polars as pl

from twin_core.contracts import SOURCES
from twin_core.warehouse import sql_literal, transaction

# The meaning of a column name wherever a table does not say more.
COMMON: dict[str, str] = {
    "snapshot_id": "the twin snapshot (history.snapshots) this row belongs to",
    "site_id": "plant site",
    "machine_id": "machine (core.machines)",
    "line_id": "production line",
    "sensor_id": "sensor (core.sensors)",
    "product_id": "product (core.products)",
    "material_id": "material (core.materials)",
    "supplier_id": "supplier (core.suppliers)",
    "lot_id": "production lot",
    "day": "plant day (a calendar day in the plant's timezone)",
    "scenario_id": "the scenario (scenario.runs) this row belongs to",
    "batch_id": "ingest batch (ingest.batches) the rows came in",
    "run_id": "validation run (one per source and batch validated)",
    "source": "landing source (a contract name, e.g. sensor_readings)",
    "coverage": "coverage of the input the row stands on: ok / partial / stale / missing "
    "(history.data_coverage)",
    "evidence": "the readings and numbers behind the finding, in words",
    "entity_id": "id of what the row is about (entity_type says which kind)",
    "characteristic": "inspected characteristic (core.inspections)",
    "p50_qty": "median good units of the last station over the replications",
    "p90_qty": "90th percentile of good units of the last station over the replications",
    "replications": "simulation replications behind the quantiles",
    # Landing-source columns the contract leaves without a description.
    "name": "display name",
    "revision": "product revision",
    "unit": "unit of measure",
    "start_ts": "start time (UTC)",
    "end_ts": "end time (UTC)",
    "ts": "time of the record (UTC)",
    "good_qty": "good units",
    "scrap_qty": "scrapped units",
    "due_date": "date it is due",
    "customer_id": "customer",
    "work_order_id": "work order (core.work_orders)",
}

# Landing-source columns whose generic name needs the source to mean something.
CONTRACT_NOTES: dict[tuple[str, str], str] = {
    ("machines", "machine_type"): "kind of machine (press, mill, assembly, ...)",
    ("sensors", "valid_max"): "physical range of the sensor: above is a sensor fault",
    ("sensors", "alarm_high"): "upper process alarm limit",
    ("products", "line_id"): "the line that builds the product",
    ("bom", "qty_per"): "material quantity per unit of the product",
    ("materials", "unit_cost"): "cost per unit of the material",
    ("materials", "supplier_id"): "the material's supplier",
    ("materials", "lead_time_days"): "supplier lead time in days",
    ("materials", "min_order_qty"): "smallest quantity the supplier takes",
    ("suppliers", "country"): "supplier's country",
    ("shifts", "start_ts"): "shift start (UTC; an overnight shift ends the next day)",
    ("sensor_readings", "quality"): "reading quality flag from the IoT system (ok / bad / ...)",
    ("machine_events", "state"): "running / down / setup / idle / planned_stop",
    ("machine_events", "reason_code"): "why (starved, blocked, a fault code, ...)",
    ("production", "record_id"): "production record id",
    ("production", "lot_id"): "lot produced",
    ("work_orders", "qty"): "units to build",
    ("work_orders", "status"): "open / released / done / ...",
    ("demand", "order_id"): "customer order id",
    ("demand", "qty"): "units ordered",
    ("inventory", "on_hand"): "quantity on hand",
    ("inventory", "as_of"): "when the stock was counted",
    ("purchase_orders", "po_id"): "purchase order id",
    ("purchase_orders", "qty"): "quantity ordered",
    ("purchase_orders", "order_date"): "date ordered",
    ("purchase_orders", "promised_date"): "delivery date the supplier promised",
    ("purchase_orders", "received_date"): "date received (null: still open)",
    ("purchase_orders", "received_qty"): "quantity received",
    ("inspections", "inspection_id"): "inspection id",
    ("inspections", "value"): "measured value",
    ("inspections", "lsl"): "lower specification limit",
    ("inspections", "usl"): "upper specification limit",
    ("inspections", "target"): "nominal value",
    ("defects", "defect_code"): "defect code",
    ("defects", "defect_qty"): "defective units (or defects) found",
    ("customer_feedback", "feedback_id"): "feedback record id",
    ("customer_feedback", "received_at"): "when the feedback arrived (UTC)",
    ("customer_feedback", "lot_id"): "lot the feedback names, if any",
    ("customer_feedback", "category"): "complaint category",
    ("customer_feedback", "severity"): "severity the customer service gave it",
    ("customer_feedback", "rating"): "customer rating",
    ("customer_feedback", "text"): "the feedback's text",
}

# Provenance columns every raw and core table carries (twin_core.contracts.table_ddl).
_PROVENANCE: dict[str, tuple[str, str, bool]] = {
    "_batch_id": ("VARCHAR", "ingest batch (ingest.batches) that loaded the row", True),
    "_file": ("VARCHAR", "landing file the row came from (relative to landing/)", True),
    "_row": ("BIGINT", "the row's line number in that file", True),
    "_extra": ("VARCHAR", "columns the file carried beyond the contract (JSON)", False),
    "_ingested_at": ("TIMESTAMP", "when the row was ingested (UTC)", False),
}


@dataclass(frozen=True)
class Col:
    """One column: name, DuckDB type (as ``duckdb_columns()`` spells it) and meaning."""

    name: str
    type: str
    description: str = ""
    not_null: bool = False

    @property
    def meaning(self) -> str:
        return self.description or COMMON.get(self.name, "")

    def ddl(self) -> str:
        return f"{self.name} {self.type.lower()}" + (" not null" if self.not_null else "")


@dataclass(frozen=True)
class Table:
    """One table: ``schema.name``, its grain ("One row per ...", then what it is), columns in
    order (a new column goes last: it becomes an ``alter table add column``) and key."""

    full_name: str
    description: str
    columns: tuple[Col, ...]
    key: tuple[str, ...] = ()
    # False: not in the warehouse, only in the published file (meta.publish).
    in_warehouse: bool = True

    @property
    def schema(self) -> str:
        return self.full_name.split(".")[0]

    @property
    def name(self) -> str:
        return self.full_name.split(".")[1]

    def column(self, name: str) -> Col:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.full_name} has no column {name!r}")

    def create_sql(self) -> str:
        cols = [
            "    " + c.ddl().replace(" not null", "") + " primary key"
            if self.key == (c.name,)
            else "    " + c.ddl()
            for c in self.columns
        ]
        if len(self.key) > 1:
            cols.append(f"    primary key ({', '.join(self.key)})")
        body = ",\n".join(cols)
        return f"-- {self.description}\ncreate table if not exists {self.full_name} (\n{body}\n);"


# The tables the migrations create beyond the contracts' raw and core, in migration order.
_DECLARED_FIRST: tuple[Table, ...] = (
    Table(
        "ingest.batches",
        "One row per ingest run: the files it looked at and the rows it read, loaded and quarantined.",
        (
            Col(
                "batch_id",
                "VARCHAR",
                "the ingest run's id (every row it loaded carries it)",
                not_null=True,
            ),
            Col("started_at", "TIMESTAMP", "when the run started (UTC)", not_null=True),
            Col("finished_at", "TIMESTAMP", "when the run finished (UTC; null while running)"),
            Col("status", "VARCHAR", "running / completed / failed", not_null=True),
            Col("files_seen", "INTEGER", "landing files the run looked at"),
            Col("files_ingested", "INTEGER", "files loaded into raw by this run"),
            Col(
                "files_skipped",
                "INTEGER",
                "files already ingested (same path, size and modification time, or same content)",
            ),
            Col(
                "files_quarantined",
                "INTEGER",
                "files refused whole (unreadable, damaged, wrong columns) and moved to quarantine",
            ),
            Col("rows_read", "BIGINT", "data rows read from the run's files"),
            Col("rows_loaded", "BIGINT", "rows typed and loaded into raw"),
            Col(
                "rows_quarantined",
                "BIGINT",
                "rows that could not be typed, written to quality.quarantine",
            ),
            Col("validated_at", "TIMESTAMP", "set when validation promoted the batch to core"),
            Col("validation_status", "VARCHAR", "passed / passed_with_quarantine / failed"),
        ),
        key=("batch_id",),
    ),
    Table(
        "ingest.files",
        "One row per version of a landing file (path and content hash), with its reconciliation: rows_read = rows_loaded + rows_quarantined.",
        (
            Col("source", "VARCHAR", "", not_null=True),
            Col("file", "VARCHAR", "path relative to landing/", not_null=True),
            Col(
                "sha256",
                "VARCHAR",
                "SHA-256 of the file's bytes (the same content under another name is skipped)",
                not_null=True,
            ),
            Col("size_bytes", "BIGINT", "file size in bytes when ingested", not_null=True),
            Col("batch_id", "VARCHAR", "", not_null=True),
            Col("ingested_at", "TIMESTAMP", "when the file was ingested (UTC)", not_null=True),
            Col(
                "status",
                "VARCHAR",
                "loaded / quarantined / skipped (a copy of content already ingested under another name)",
                not_null=True,
            ),
            Col("reason", "VARCHAR", "why a whole file was quarantined"),
            Col("rows_read", "BIGINT", "data rows read from this file", not_null=True),
            Col("rows_loaded", "BIGINT", "rows of this file loaded into raw", not_null=True),
            Col(
                "rows_quarantined",
                "BIGINT",
                "rows of this file written to quality.quarantine",
                not_null=True,
            ),
            Col(
                "extra_columns",
                "VARCHAR",
                "schema drift: columns beyond the contract (kept in raw._extra)",
            ),
            Col(
                "mtime_ns",
                "BIGINT",
                "file modification time (ns since the epoch); with size, how an unchanged file is known without hashing it",
            ),
        ),
        key=("source", "file", "sha256"),
    ),
    Table(
        "quality.quarantine",
        "Quarantine and validation results. Grain: quality.quarantine one row per quarantined row (or one per whole file, row null); quality.validation_runs one row per expectation per source per batch.",
        (
            Col("batch_id", "VARCHAR", "", not_null=True),
            Col("source", "VARCHAR", "", not_null=True),
            Col(
                "file",
                "VARCHAR",
                "landing file the row came from (relative to landing/)",
                not_null=True,
            ),
            Col(
                "row",
                "BIGINT",
                "1-based data row in the file; null when the whole file is quarantined",
            ),
            Col("stage", "VARCHAR", "ingest / validation", not_null=True),
            Col(
                "rule",
                "VARCHAR",
                "e.g. unparseable_file, missing_column, cast_failed, expect_column_values_to_be_between",
                not_null=True,
            ),
            Col("reason", "VARCHAR", "human-readable: column, value, rule", not_null=True),
            Col("raw_values", "VARCHAR", "the row as read (JSON text)"),
            Col("quarantined_at", "TIMESTAMP", "when the row was quarantined (UTC)", not_null=True),
        ),
    ),
    Table(
        "quality.validation_runs",
        "One row per expectation checked per validation run (Great Expectations result, flattened).",
        (
            Col("run_id", "VARCHAR", "", not_null=True),
            Col("batch_id", "VARCHAR", "", not_null=True),
            Col("source", "VARCHAR", "", not_null=True),
            Col("expectation", "VARCHAR", "expectation type and column(s)", not_null=True),
            Col("rule", "VARCHAR", "the rule name also used in quality.quarantine", not_null=True),
            Col("severity", "VARCHAR", "error / warning", not_null=True),
            Col("level", "VARCHAR", "row / batch", not_null=True),
            Col("success", "BOOLEAN", "the expectation held", not_null=True),
            Col("raised", "BOOLEAN", "the expectation itself failed to run", not_null=True),
            Col("element_count", "BIGINT", "rows the expectation looked at"),
            Col("unexpected_count", "BIGINT", "rows that failed the expectation"),
            Col(
                "unexpected_percent", "DOUBLE", "unexpected_count as a percentage of element_count"
            ),
            Col("details", "VARCHAR", "the expectation's full result (JSON)"),
            Col("validated_at", "TIMESTAMP", "when the validation ran (UTC)", not_null=True),
        ),
    ),
    Table(
        "quality.validation_sources",
        "Outcome of validating one source of one batch (twin_core.validation): one row per source per validation run. rows = quarantined + promoted + superseded.",
        (
            Col("run_id", "VARCHAR", "", not_null=True),
            Col("batch_id", "VARCHAR", "", not_null=True),
            Col("source", "VARCHAR", "", not_null=True),
            Col("status", "VARCHAR", "passed / passed_with_quarantine / failed", not_null=True),
            Col("rows", "BIGINT", "raw rows of the source in the batch", not_null=True),
            Col(
                "quarantined",
                "BIGINT",
                "rows sent to quality.quarantine (error-severity row rules)",
                not_null=True,
            ),
            Col(
                "promoted",
                "BIGINT",
                "rows written to core (new keys or replacing earlier rows)",
                not_null=True,
            ),
            Col(
                "superseded",
                "BIGINT",
                "valid rows not written: a later row with the same key exists",
                not_null=True,
            ),
            Col("warnings", "VARCHAR", "rules that failed with severity warning"),
            Col("errors", "VARCHAR", "rules that failed with severity error"),
            Col("data_docs", "VARCHAR", "Great Expectations Data Docs index of the run"),
            Col("validated_at", "TIMESTAMP", "when the validation ran (UTC)", not_null=True),
        ),
    ),
    Table(
        "meta.validation_refs",
        "Scratch: the ids a validation run accepts as references (core master data plus the batch's passing master rows); Great Expectations reads them. One row per run per reference per id; emptied when the run ends.",
        (
            Col("run_id", "VARCHAR", "", not_null=True),
            Col("ref", "VARCHAR", "<source>.<column>, e.g. sensors.sensor_id", not_null=True),
            Col(
                "id",
                "VARCHAR",
                "the id of a referenced row (master data key) known at validation time",
                not_null=True,
            ),
        ),
    ),
    Table(
        "history.snapshots",
        "One row per rebuild (snapshot): its plant day, status and the code that built it.",
        (
            Col("snapshot_id", "BIGINT", "", not_null=True),
            Col(
                "as_of",
                "DATE",
                "the plant day the snapshot describes (data up to its end)",
                not_null=True,
            ),
            Col("created_at", "TIMESTAMP", "when the rebuild started (UTC)", not_null=True),
            Col("status", "VARCHAR", "building / complete / failed", not_null=True),
            Col("input_batches", "VARCHAR", "JSON list of ingest batch ids whose rows are in core"),
            Col(
                "code_version",
                "VARCHAR",
                "plant-twin version that built the snapshot",
                not_null=True,
            ),
            Col("site_ids", "VARCHAR", "JSON list of sites included"),
            Col("params", "VARCHAR", "JSON of the settings that shaped it (horizon, seed, ...)"),
            Col(
                "degraded",
                "BOOLEAN",
                "true when some input was partial, stale or missing (see degraded_reasons and history.data_coverage)",
            ),
            Col(
                "degraded_reasons",
                "VARCHAR",
                "why the snapshot is degraded: the sources and lines whose coverage is not ok",
            ),
        ),
        key=("snapshot_id",),
    ),
    Table(
        "history.machine_day",
        "Machine and line tables of each snapshot. One row per machine per plant day.",
        (
            Col("snapshot_id", "BIGINT", "", not_null=True),
            Col("site_id", "VARCHAR", ""),
            Col("machine_id", "VARCHAR", "", not_null=True),
            Col("line_id", "VARCHAR", ""),
            Col("day", "DATE", "", not_null=True),
            Col(
                "planned_busy_s",
                "DOUBLE",
                "PBT: calendar time less planned_stop (and outside shifts)",
            ),
            Col("running_s", "DOUBLE", "APT"),
            Col("down_s", "DOUBLE", "seconds the machine was down (unplanned) inside PBT"),
            Col("setup_s", "DOUBLE", "seconds in setup / changeover inside PBT"),
            Col("idle_s", "DOUBLE", "seconds idle (no work, not down) inside PBT"),
            Col("good_qty", "BIGINT", "records whose end_ts falls in the shift"),
            Col("scrap_qty", "BIGINT", "units scrapped"),
            Col("availability", "DOUBLE", "APT / PBT"),
            Col("performance", "DOUBLE", "ideal_cycle_time_s x (good + scrap) / APT"),
            Col("quality", "DOUBLE", "good / (good + scrap)"),
            Col("oee", "DOUBLE", "ideal_cycle_time_s x good / PBT"),
            Col(
                "performance_implausible",
                "BOOLEAN",
                "performance > 1: counts or ideal cycle time are wrong",
            ),
            Col("planned_stop_s", "DOUBLE", "planned_stop time inside the planned windows"),
            Col(
                "unrecorded_s", "DOUBLE", "PBT no event covers: PBT - running - down - setup - idle"
            ),
            Col("ideal_cycle_time_s", "DOUBLE", "the machine's ideal cycle time the ratios used"),
            Col("coverage", "VARCHAR", ""),
            Col("starved_s", "DOUBLE", "idle with reason starved"),
            Col("blocked_s", "DOUBLE", "idle with reason blocked"),
        ),
    ),
    Table(
        "history.machine_health",
        "One row per machine: its health from sensor evidence.",
        (
            Col("snapshot_id", "BIGINT", "", not_null=True),
            Col("site_id", "VARCHAR", ""),
            Col("machine_id", "VARCHAR", "", not_null=True),
            Col("line_id", "VARCHAR", ""),
            Col("health_score", "DOUBLE", "1 healthy .. 0 at its alarm limits"),
            Col("anomalies", "BIGINT", "sensors of this machine with a machine-side anomaly"),
            Col(
                "predicted_limit_date",
                "DATE",
                "when the worst trend crosses its alarm limit (null: none)",
            ),
            Col("evidence", "VARCHAR", "sensors and numbers behind the score"),
            Col(
                "sensors_used",
                "BIGINT",
                "sensors with readings the score could use (faulty ones excluded)",
            ),
            Col("sensor_faults", "BIGINT", "sensors of the machine whose status is not ok"),
            Col(
                "worst_sensor_id",
                "VARCHAR",
                "the sensor with the lowest health (history.sensor_health)",
            ),
            Col("coverage", "VARCHAR", ""),
        ),
    ),
    Table(
        "history.sensor_status",
        "One row per sensor: is the sensor itself trustworthy.",
        (
            Col("snapshot_id", "BIGINT", "", not_null=True),
            Col("site_id", "VARCHAR", ""),
            Col("sensor_id", "VARCHAR", "", not_null=True),
            Col("machine_id", "VARCHAR", ""),
            Col("status", "VARCHAR", "ok / stuck / dropout / out_of_range", not_null=True),
            Col("since", "TIMESTAMP", "start of the fault (UTC); null when ok"),
            Col("evidence", "VARCHAR", ""),
            Col("coverage", "VARCHAR", ""),
        ),
    ),
    Table(
        "history.line_forecast",
        "One row per line per forecast day.",
        (
            Col("snapshot_id", "BIGINT", "", not_null=True),
            Col("site_id", "VARCHAR", ""),
            Col("line_id", "VARCHAR", "", not_null=True),
            Col("day", "DATE", "", not_null=True),
            Col("required_qty", "DOUBLE", "work_order_qty + uncovered_demand_qty"),
            Col(
                "p10_qty", "DOUBLE", "good units of the last station (quantiles over replications)"
            ),
            Col("p50_qty", "DOUBLE", ""),
            Col("p90_qty", "DOUBLE", ""),
            Col(
                "bottleneck_machine_id",
                "VARCHAR",
                "station busiest (working or under repair) that day, mean over replications",
            ),
            Col(
                "work_order_qty",
                "DOUBLE",
                "open work orders due that day (past-due ones on the first day)",
            ),
            Col(
                "uncovered_demand_qty",
                "DOUBLE",
                "demand due that day beyond the work orders (cumulative, per product)",
            ),
            Col("mean_qty", "DOUBLE", "mean good output over the replications"),
            Col("p_meet", "DOUBLE", "share of replications whose output reaches required_qty"),
            Col(
                "planned_hours",
                "DOUBLE",
                "hours the line is planned to produce that day (shifts or 24 h less stops)",
            ),
            Col(
                "bottleneck_utilization",
                "DOUBLE",
                "busy share of the bottleneck's open time that day",
            ),
            Col("replications", "BIGINT", ""),
            Col("coverage", "VARCHAR", ""),
        ),
    ),
    Table(
        "history.inventory_projection",
        "Inventory and supply tables of each snapshot. One row per site, material and day of the horizon (as_of + 1 .. as_of + horizon_days): projected on-hand with open PO receipts.",
        (
            Col("snapshot_id", "BIGINT", "", not_null=True),
            Col("site_id", "VARCHAR", ""),
            Col("material_id", "VARCHAR", "", not_null=True),
            Col("day", "DATE", "", not_null=True),
            Col(
                "opening_on_hand",
                "DOUBLE",
                "the previous day's closing; the first day opens with on_hand",
            ),
            Col(
                "past_due_requirement",
                "DOUBLE",
                "open work orders due on or before as_of, owed on the first day",
            ),
            Col("requirement", "DOUBLE", "sum over open work orders due that day of qty x qty_per"),
            Col(
                "receipts",
                "DOUBLE",
                "open PO qty (qty - received_qty) due that day; past promises on the first day",
            ),
            Col(
                "closing_on_hand",
                "DOUBLE",
                "opening - past_due_requirement - requirement + receipts; below 0 is a shortage",
            ),
        ),
    ),
    Table(
        "history.material_status",
        "One row per site and material: cover, stockout, safety stock, reorder point and what to order by when.",
        (
            Col("snapshot_id", "BIGINT", "", not_null=True),
            Col("site_id", "VARCHAR", ""),
            Col("material_id", "VARCHAR", "", not_null=True),
            Col("supplier_id", "VARCHAR", ""),
            Col("on_hand", "DOUBLE", "latest inventory on or before as_of (0 when none)"),
            Col(
                "on_hand_as_of",
                "DATE",
                "the inventory day on_hand comes from (stale when before as_of)",
            ),
            Col(
                "days_of_cover",
                "DOUBLE",
                "time-phased, fractional, on-hand only; null when days_of_cover_unbounded",
            ),
            Col("days_of_cover_unbounded", "BOOLEAN", "no known requirement exhausts the stock"),
            Col(
                "stockout_date",
                "DATE",
                "first horizon day closing on-hand < 0, receipts included (null: none)",
            ),
            Col(
                "past_due_requirement", "DOUBLE", "requirement of open work orders already past due"
            ),
            Col("demand_mean_daily", "DOUBLE", "mean daily requirement over the horizon"),
            Col("demand_sd_daily", "DOUBLE", "sample sd of the daily requirement over the horizon"),
            Col(
                "lead_time_days",
                "DOUBLE",
                "L: master lead time + the supplier's mean deviation from plan when measured (plus scenario delay)",
            ),
            Col(
                "lead_time_sd_days",
                "DOUBLE",
                "sd_L: sample sd of the supplier's deviations from plan, 0 with master data",
            ),
            Col("lead_time_source", "VARCHAR", "measured / master"),
            Col(
                "service_level",
                "DOUBLE",
                "the material's, else the default; z uses it clipped to 0.5..0.9999",
            ),
            Col("z", "DOUBLE", "standard normal quantile of the service level"),
            Col("safety_stock", "DOUBLE", "z x sqrt(L x sd_d^2 + mean_d^2 x sd_L^2)"),
            Col("reorder_point", "DOUBLE", "mean_d x L + safety_stock"),
            Col(
                "below_safety_stock_date",
                "DATE",
                "first day (horizon + ceil(L)) projected on-hand < safety_stock",
            ),
            Col("order_qty", "DOUBLE", "max(EOQ, min_order_qty, shortfall), whole units (README)"),
            Col(
                "order_policy",
                "VARCHAR",
                "the term that set order_qty: eoq / cover_days / min_order_qty / shortfall / no_demand",
            ),
            Col(
                "order_by_date",
                "DATE",
                "below_safety_stock_date - ceil(L); null when no order is needed",
            ),
        ),
    ),
    Table(
        "history.supplier_performance",
        "One row per supplier: delivery record, open orders and a risk score in 0..1 (README).",
        (
            Col("snapshot_id", "BIGINT", "", not_null=True),
            Col("supplier_id", "VARCHAR", "", not_null=True),
            Col("received_pos", "BIGINT", "POs received on or before as_of"),
            Col(
                "on_time_rate",
                "DOUBLE",
                "share received on or before promised_date (null: none received)",
            ),
            Col("lead_time_mean_days", "DOUBLE", "mean of received_date - order_date"),
            Col("lead_time_sd_days", "DOUBLE", "sample sd of the lead time (null below two POs)"),
            Col(
                "lead_time_deviation_mean_days",
                "DOUBLE",
                "mean of lead time - the material's planned lead_time_days",
            ),
            Col(
                "lead_time_deviation_sd_days",
                "DOUBLE",
                "sample sd of that deviation: the spread safety stock sees",
            ),
            Col("open_pos", "BIGINT", "POs ordered by as_of and not received by its end"),
            Col("late_open_pos", "BIGINT", "open POs whose promised_date is on or before as_of"),
            Col("sole_source_materials", "BIGINT", "materials no other supplier delivers"),
            Col("risk_late", "DOUBLE", "(late received + 1) / (received + 2)"),
            Col("risk_open_late", "DOUBLE", "late_open_pos / open_pos"),
            Col(
                "risk_variability",
                "DOUBLE",
                "lead_time_deviation_sd_days / lead_time_mean_days, capped at 1",
            ),
            Col(
                "risk_dependency",
                "DOUBLE",
                "1 - exp(-sum of min(1, L / days_of_cover)) over sole-sourced materials",
            ),
            Col("risk_score", "DOUBLE", "weighted sum of the four parts (0.4, 0.2, 0.15, 0.25)"),
        ),
    ),
    Table(
        "history.uncovered_demand",
        "One row per product and horizon day with demand due: customer demand the open work orders do not cover.",
        (
            Col("snapshot_id", "BIGINT", "", not_null=True),
            Col(
                "site_id", "VARCHAR", "site of the product's line (null when its lines span sites)"
            ),
            Col("product_id", "VARCHAR", "", not_null=True),
            Col("day", "DATE", "", not_null=True),
            Col("demand_qty", "DOUBLE", "customer demand due that day"),
            Col(
                "planned_qty",
                "DOUBLE",
                "open work-order qty due that day (past-due orders on the first day)",
            ),
            Col("cum_demand_qty", "DOUBLE", "demand due from the first horizon day to this day"),
            Col("cum_planned_qty", "DOUBLE", "open work-order qty due by this day"),
            Col("uncovered_qty", "DOUBLE", "max(0, cum_demand_qty - cum_planned_qty)"),
        ),
    ),
    Table(
        "history.spc_limits",
        "SPC, capability, pre-emptive quality and feedback tables of each snapshot. One row per product, characteristic and chart (location and dispersion in one row).",
        (
            Col("snapshot_id", "BIGINT", "", not_null=True),
            Col("site_id", "VARCHAR", "site of the line that builds the product"),
            Col("product_id", "VARCHAR", "", not_null=True),
            Col(
                "characteristic",
                "VARCHAR",
                "inspected characteristic, or defect:<code> / defects:all",
                not_null=True,
            ),
            Col("chart", "VARCHAR", "I-MR / Xbar-R / Xbar-S / p / np / c / u", not_null=True),
            Col(
                "limit_method", "VARCHAR", "3-sigma, or probability (exact limits of a rare count)"
            ),
            Col("subgroup_size", "DOUBLE", "nominal lot size (mean inspected qty on p / u charts)"),
            Col("center", "DOUBLE", "location (or attribute) chart centre line"),
            Col("lcl", "DOUBLE", "lower control limit of the chart's centre line statistic"),
            Col("ucl", "DOUBLE", "upper control limit of the chart's centre line statistic"),
            Col(
                "sigma",
                "DOUBLE",
                "sigma_within (variables), sigma at the nominal size (attributes)",
            ),
            Col(
                "range_center",
                "DOUBLE",
                "dispersion chart (MR / R / S) centre; null on attribute charts",
            ),
            Col("range_lcl", "DOUBLE", "lower control limit of the range / moving-range / S chart"),
            Col("range_ucl", "DOUBLE", "upper control limit of the range / moving-range / S chart"),
            Col(
                "baseline_subgroups",
                "BIGINT",
                "subgroups the limits come from (fewer than the setting: trial limits)",
            ),
            Col("subgroups", "BIGINT", "subgroups in the series so far"),
        ),
    ),
    Table(
        "history.spc_violations",
        "One row per rule firing on a subgroup (lot).",
        (
            Col("snapshot_id", "BIGINT", "", not_null=True),
            Col("site_id", "VARCHAR", ""),
            Col("product_id", "VARCHAR", "", not_null=True),
            Col("characteristic", "VARCHAR", "", not_null=True),
            Col(
                "lot_id",
                "VARCHAR",
                "the suspect lot (spc); the first alarming lot (drift)",
                not_null=True,
            ),
            Col("rule", "VARCHAR", "WE1..WE4, NELSON1..NELSON8", not_null=True),
            Col("value", "DOUBLE", "the plotted statistic of the lot"),
            Col("ts", "TIMESTAMP", "first measurement of the lot (UTC)"),
            Col("chart", "VARCHAR", "X / Xbar / MR / R / S / p / np / c / u"),
            Col("in_baseline", "BOOLEAN", "the lot is one of the baseline subgroups"),
        ),
    ),
    Table(
        "history.capability",
        "One row per product and characteristic.",
        (
            Col("snapshot_id", "BIGINT", "", not_null=True),
            Col("site_id", "VARCHAR", ""),
            Col("product_id", "VARCHAR", "", not_null=True),
            Col("characteristic", "VARCHAR", "", not_null=True),
            Col("n", "BIGINT", "measurements"),
            Col("cp", "DOUBLE", "(USL - LSL) / 6 sigma_within; null when one limit is missing"),
            Col("cpk", "DOUBLE", "min(USL - mu, mu - LSL) / 3 sigma_within (one-sided if needed)"),
            Col("pp", "DOUBLE", "as cp with sigma_overall"),
            Col("ppk", "DOUBLE", "as cpk with sigma_overall"),
            Col("mean", "DOUBLE", "mu, mean of every measurement"),
            Col("sigma_within", "DOUBLE", "MRbar/1.128, Rbar/d2 or Sbar/c4 over every subgroup"),
            Col("sigma_overall", "DOUBLE", "sample standard deviation of every measurement"),
            Col("lsl", "DOUBLE", "latest stated lower spec limit"),
            Col("usl", "DOUBLE", "latest stated upper spec limit"),
        ),
    ),
    Table(
        "history.feedback_insights",
        "One row per product, revision and feedback category.",
        (
            Col("snapshot_id", "BIGINT", "", not_null=True),
            Col("site_id", "VARCHAR", ""),
            Col("product_id", "VARCHAR", "", not_null=True),
            Col(
                "revision",
                "VARCHAR",
                "feedback's revision, else its lot's, else the product's latest",
            ),
            Col(
                "category",
                "VARCHAR",
                "feedback category (customer_feedback.category)",
                not_null=True,
            ),
            Col(
                "feedback_count",
                "BIGINT",
                "feedback records of this product, revision and category in the lookback",
            ),
            Col(
                "rate_per_1000_units",
                "DOUBLE",
                "feedback_count per 1,000 units shipped of the revision",
            ),
            Col("lots", "VARCHAR", "JSON list"),
            Col("lines", "VARCHAR", "JSON list"),
            Col("machines", "VARCHAR", "JSON list"),
            Col("units_shipped", "BIGINT", "good units off the line's last machine, this revision"),
        ),
    ),
    Table(
        "history.revision_flags",
        "One row per revision of a product with two or more revisions: its complaint rate tested against its siblings.",
        (
            Col("snapshot_id", "BIGINT", "", not_null=True),
            Col("site_id", "VARCHAR", ""),
            Col("product_id", "VARCHAR", "", not_null=True),
            Col("revision", "VARCHAR", "product revision", not_null=True),
            Col("complaints", "BIGINT", "feedback in complaint / return / warranty"),
            Col("units_shipped", "BIGINT", "good units off the line's last machine, this revision"),
            Col(
                "rate_per_1000_units",
                "DOUBLE",
                "feedback_count per 1,000 units shipped of the revision",
            ),
            Col("sibling_complaints", "BIGINT", "complaints on the product's other revisions"),
            Col("sibling_units", "BIGINT", "units shipped of the product's other revisions"),
            Col(
                "sibling_rate_per_1000_units",
                "DOUBLE",
                "complaints per 1000 units shipped of the other revisions",
            ),
            Col("test", "VARCHAR", "the test that gave p_value"),
            Col(
                "p_value",
                "DOUBLE",
                "one-sided: P(X >= complaints), X ~ Bin(all complaints, units share)",
            ),
            Col("flagged", "BOOLEAN", "p_value < 0.01 and rate above the siblings'"),
            Col(
                "themes",
                "VARCHAR",
                "JSON list: TF-IDF terms of its complaints against the siblings'",
            ),
            Col("lots", "VARCHAR", "JSON list of lots named by its complaints"),
            Col("lines", "VARCHAR", "JSON list, most complaints first"),
            Col("machines", "VARCHAR", "JSON list, most complaints first"),
        ),
    ),
    Table(
        "history.quality_drift",
        "One row per machine, sensor metric, product and characteristic where the sensor drifted.",
        (
            Col("snapshot_id", "BIGINT", "", not_null=True),
            Col("site_id", "VARCHAR", ""),
            Col("machine_id", "VARCHAR", "", not_null=True),
            Col(
                "metric",
                "VARCHAR",
                "temperature, vibration, power, speed, pressure, ...",
                not_null=True,
            ),
            Col("product_id", "VARCHAR", "", not_null=True),
            Col("characteristic", "VARCHAR", "", not_null=True),
            Col("link", "VARCHAR", "process (inspections name the machine) / measured / both"),
            Col("direction", "VARCHAR", "up / down"),
            Col(
                "first_alarm_ts",
                "TIMESTAMP",
                "end of the first production record the EWMA alarmed on (UTC)",
            ),
            Col("first_alarm_lot", "VARCHAR", "first lot produced after the drift alarm"),
            Col("last_alarm_ts", "TIMESTAMP", "time of the latest alarming reading window (UTC)"),
            Col("alarm_lots", "BIGINT", "lots produced while the drift alarm stood"),
            Col("baseline_mean", "DOUBLE", "metric over the machine's baseline production windows"),
            Col(
                "baseline_sd",
                "DOUBLE",
                "standard deviation of the metric over the baseline windows",
            ),
            Col("drift_level", "DOUBLE", "smoothed (EWMA) metric level at the latest alarm"),
            Col("max_ewma", "DOUBLE", "largest |EWMA| in baseline sds"),
            Col("slope", "DOUBLE", "characteristic units per metric unit (OLS of lot means)"),
            Col("p_value", "DOUBLE", "two-sided t test of the slope"),
            Col("predicted_shift", "DOUBLE", "slope x drift, where the slope is significant"),
            Col(
                "first_rule_ts",
                "TIMESTAMP",
                "first run rule on the characteristic since the drift began",
            ),
            Col("lead_hours", "DOUBLE", "first_rule_ts - first_alarm_ts"),
            Col("evidence", "VARCHAR", ""),
        ),
    ),
    Table(
        "history.lots_to_hold",
        "One row per lot, product, machine and reason to hold the lot.",
        (
            Col("snapshot_id", "BIGINT", "", not_null=True),
            Col("site_id", "VARCHAR", ""),
            Col(
                "lot_id",
                "VARCHAR",
                "the suspect lot (spc); the first alarming lot (drift)",
                not_null=True,
            ),
            Col("product_id", "VARCHAR", "", not_null=True),
            Col("machine_id", "VARCHAR", ""),
            Col(
                "reason",
                "VARCHAR",
                "sensor_drift / characteristic_trend / spc_violation",
                not_null=True,
            ),
            Col("evidence", "VARCHAR", "the numbers behind the hold"),
            Col("flagged_at", "TIMESTAMP", "when the evidence existed (UTC)"),
            Col("characteristics", "VARCHAR", "JSON list of the characteristics concerned"),
        ),
    ),
    Table(
        "history.machine_shift",
        "One row per machine per shift (lines with shifts only), the shift started on a plant day in machine_day's window and ended by the as-of cut. Same definitions as machine_day.",
        (
            Col("snapshot_id", "BIGINT", "", not_null=True),
            Col("site_id", "VARCHAR", ""),
            Col("machine_id", "VARCHAR", "", not_null=True),
            Col("line_id", "VARCHAR", ""),
            Col("day", "DATE", "plant day the shift starts", not_null=True),
            Col("shift_start", "TIMESTAMP", "UTC", not_null=True),
            Col("shift_end", "TIMESTAMP", "UTC", not_null=True),
            Col("planned_busy_s", "DOUBLE", "shift time less planned_stop inside it"),
            Col("running_s", "DOUBLE", "APT"),
            Col("down_s", "DOUBLE", "seconds down (unplanned) inside the shift's PBT"),
            Col("setup_s", "DOUBLE", "seconds in setup / changeover inside the shift's PBT"),
            Col("idle_s", "DOUBLE", "seconds idle inside the shift's PBT"),
            Col("planned_stop_s", "DOUBLE", "planned_stop time inside the planned windows"),
            Col(
                "unrecorded_s", "DOUBLE", "PBT no event covers: PBT - running - down - setup - idle"
            ),
            Col("good_qty", "BIGINT", "records whose end_ts falls in the shift"),
            Col("scrap_qty", "BIGINT", "units scrapped in the shift"),
            Col("ideal_cycle_time_s", "DOUBLE", "the machine's ideal cycle time the ratios used"),
            Col("availability", "DOUBLE", "APT / PBT"),
            Col("performance", "DOUBLE", "ideal_cycle_time_s x (good + scrap) / APT of the shift"),
            Col("quality", "DOUBLE", "good / (good + scrap)"),
            Col("oee", "DOUBLE", "ideal_cycle_time_s x good / PBT"),
            Col(
                "performance_implausible",
                "BOOLEAN",
                "performance > 1: counts or ideal cycle time are wrong",
            ),
            Col("starved_s", "DOUBLE", "idle with reason starved"),
            Col("blocked_s", "DOUBLE", "idle with reason blocked"),
        ),
    ),
    Table(
        "history.sensor_health",
        "One row per sensor: the numbers behind machine_health (robust baseline, drift, trend, limits).",
        (
            Col("snapshot_id", "BIGINT", "", not_null=True),
            Col("site_id", "VARCHAR", ""),
            Col("sensor_id", "VARCHAR", "", not_null=True),
            Col("machine_id", "VARCHAR", ""),
            Col("metric", "VARCHAR", "temperature, vibration, power, speed, pressure, ..."),
            Col("unit", "VARCHAR", "readings / machine-seconds / running machine-seconds / rows"),
            Col("status", "VARCHAR", "sensor_status.status; a faulty sensor gets no health"),
            Col("hours_used", "BIGINT", "hourly means used (hours the machine mostly ran)"),
            Col("baseline_median", "DOUBLE", "median of the hourly means in the baseline window"),
            Col("baseline_scale", "DOUBLE", "robust sigma: max(1.4826 MAD, noise floors)"),
            Col("level", "DOUBLE", "mean of the last hourly means (health.level_hours)"),
            Col("z", "DOUBLE", "(level - baseline_median) / baseline_scale"),
            Col("ewma_z", "DOUBLE", "EWMA of the hourly z at the last hour"),
            Col("drift", "BOOLEAN", "|ewma_z| beyond the EWMA control limit"),
            Col("slope_per_day", "DOUBLE", "linear trend of the recent hourly means, unit per day"),
            Col("trend", "BOOLEAN", "the trend is significant (t >= health.trend_t)"),
            Col("alarm_low", "DOUBLE", "Process alarm limits: the machine is at its limits."),
            Col("alarm_high", "DOUBLE", "upper alarm limit of the sensor (core.sensors)"),
            Col("health", "DOUBLE", "1 at the baseline .. 0 at the alarm limit it moves toward"),
            Col(
                "predicted_limit_date",
                "DATE",
                "plant day the trend reaches its alarm limit (null: none)",
            ),
            Col("anomaly", "BOOLEAN", "drift, a limit reached, or a trend to a limit"),
            Col("evidence", "VARCHAR", ""),
            Col("coverage", "VARCHAR", ""),
        ),
    ),
    Table(
        "history.machine_reliability",
        "One row per machine: what the line simulation draws from, measured over the lookback.",
        (
            Col("snapshot_id", "BIGINT", "", not_null=True),
            Col("site_id", "VARCHAR", ""),
            Col("machine_id", "VARCHAR", "", not_null=True),
            Col("line_id", "VARCHAR", ""),
            Col("line_position", "BIGINT", "Order along the line, 1 = first station."),
            Col("ideal_cycle_time_s", "DOUBLE", "the machine's ideal cycle time (core.machines)"),
            Col("running_h", "DOUBLE", "running time in the lookback"),
            Col("failures", "BIGINT", "down periods (adjacent down events merged)"),
            Col("mtbf_h", "DOUBLE", "running hours per failure (null: no failure seen)"),
            Col("mttr_h", "DOUBLE", "mean hours of a down period"),
            Col("repair_cv", "DOUBLE", "coefficient of variation of the down periods"),
            Col("performance", "DOUBLE", "ideal x (good + scrap) / running over the lookback"),
            Col("setup_share", "DOUBLE", "setup time per running time"),
            Col("quality", "DOUBLE", "good / (good + scrap)"),
            Col(
                "cycle_s",
                "DOUBLE",
                "mean seconds per unit while not failed: ideal / performance x (1 + setup_share)",
            ),
            Col("lookback_days", "BIGINT", "plant days of events the measurements cover"),
            Col(
                "down_at_cut",
                "BOOLEAN",
                "down at the end of the as-of day: the forecast starts it under repair",
            ),
            Col("coverage", "VARCHAR", ""),
        ),
    ),
    Table(
        "history.instructions",
        "Nightly instructions. Grain: one row per instruction per snapshot; report.instructions shows the latest. Written by twin_core.report.build_reports, which replaces a snapshot's rows (idempotent).",
        (
            Col("snapshot_id", "BIGINT", "", not_null=True),
            Col(
                "rank",
                "INTEGER",
                "reading order within the snapshot (department, priority, urgency)",
                not_null=True,
            ),
            Col(
                "department",
                "VARCHAR",
                "production / maintenance / procurement / quality / engineering",
                not_null=True,
            ),
            Col("priority", "INTEGER", "1 = most urgent", not_null=True),
            Col("action", "VARCHAR", "an imperative sentence", not_null=True),
            Col(
                "reason",
                "VARCHAR",
                "the numbers behind it, naming the twin table they come from",
                not_null=True,
            ),
            Col("due_date", "DATE", "when the action is due"),
            Col(
                "entity_type",
                "VARCHAR",
                "line / machine / sensor / material / purchase_order / product / lot / revision",
            ),
            Col("entity_id", "VARCHAR", ""),
            Col(
                "line_id",
                "VARCHAR",
                "the line this instruction serves (cross-reference across departments)",
            ),
            Col("source", "VARCHAR", "the tables the numbers come from, comma separated"),
            Col("kind", "VARCHAR", "the rule (stable across nights)"),
            Col("mode", "VARCHAR", "action / watch (a note, not an action)"),
            Col("loss", "DOUBLE", "the loss the instruction prevents, in loss_unit"),
            Col(
                "loss_unit",
                "VARCHAR",
                "units short / days out of stock / parts at risk of shipping out of spec / hours of unplanned downtime / ...",
            ),
            Col(
                "loss_day",
                "DATE",
                "the plant day the loss falls on (null: beyond the horizon or not quantified)",
            ),
            Col(
                "loss_cost",
                "DOUBLE",
                "the loss in money (core.materials.unit_cost), where unit costs exist",
            ),
            Col(
                "cause_id",
                "VARCHAR",
                "the root cause (machine:L2-M2, line:L3, material:MAT-008, ...); shared across departments",
            ),
            Col(
                "instruction_key",
                "VARCHAR",
                "department|kind|entity|cause: the same finding has the same key every night",
            ),
            Col("state", "VARCHAR", "new / open / escalated (priority rose or loss grew > 10%)"),
            Col("first_seen", "DATE", "as-of date of the first night with this key"),
            Col(
                "nights_open", "INTEGER", "nights in a row the key has been open, this one included"
            ),
        ),
    ),
    Table(
        "scenario.runs",
        "What-if scenarios. Grain: one row per scenario. scenario_id is the scenario's name, its snapshot and a hash of its resolved parameters, so the same question on the same snapshot has the same id (re-running it replaces its rows).",
        (
            Col("scenario_id", "VARCHAR", "", not_null=True),
            Col("name", "VARCHAR", "the scenario's name as given by the planner", not_null=True),
            Col(
                "snapshot_id", "BIGINT", "the twin snapshot the scenario starts from", not_null=True
            ),
            Col("as_of", "DATE", "that snapshot's plant day", not_null=True),
            Col("created_at", "TIMESTAMP", "when the scenario was run (UTC)", not_null=True),
            Col(
                "params",
                "VARCHAR",
                "canonical JSON of the resolved parameters (outages, multipliers, delays, shifts, horizon, replications, seed)",
                not_null=True,
            ),
            Col("params_hash", "VARCHAR", "sha256 of params", not_null=True),
            Col("horizon_days", "INTEGER", "forecast days simulated"),
            Col("replications", "INTEGER", "simulation replications per variant"),
            Col("seed", "BIGINT", "random seed of the simulation (the baseline uses the same)"),
            Col(
                "code_version", "VARCHAR", "plant-twin version that ran the scenario", not_null=True
            ),
            Col("report_dir", "VARCHAR", "where the scenario report was written"),
        ),
        key=("scenario_id",),
    ),
)


def _scenario_of(
    history: str,
    description: str,
    columns: tuple[str, ...] | None,
    notes: dict[str, str] | None = None,
) -> Table:
    """The scenario table of ``history``: ``scenario_id`` and ``variant`` in place of
    ``snapshot_id``, then ``columns`` of the history table (all when None, in its order), each
    declared as the history table declares it; ``notes`` replaces a column's meaning where a
    scenario changes it. A scenario table is thus declared once, where its history table is."""
    source = next(t for t in _DECLARED_FIRST if t.full_name == history)
    keep = (
        [c for c in source.columns if c.name != "snapshot_id"]
        if columns is None
        else [source.column(c) for c in columns]
    )
    notes = notes or {}
    return Table(
        "scenario." + source.name,
        description,
        (
            Col("scenario_id", "VARCHAR", "", not_null=True),
            Col("variant", "VARCHAR", "baseline / scenario", not_null=True),
            *(replace(c, description=notes[c.name]) if c.name in notes else c for c in keep),
        ),
    )


_DECLARED: tuple[Table, ...] = (
    *_DECLARED_FIRST,
    _scenario_of(
        "history.line_forecast",
        "Line output of a scenario. Grain: one row per scenario, variant and line per forecast day; variant 'baseline' is the snapshot recomputed with the same seed and code, 'scenario' with the changes.",
        (
            "site_id",
            "line_id",
            "day",
            "required_qty",
            "p10_qty",
            "p50_qty",
            "p90_qty",
            "bottleneck_machine_id",
            "work_order_qty",
            "uncovered_demand_qty",
            "mean_qty",
            "p_meet",
            "planned_hours",
            "bottleneck_utilization",
            "replications",
        ),
        notes={"planned_hours": "includes the scenario's extra shifts, less its outages' lines"},
    ),
    _scenario_of(
        "history.inventory_projection",
        "Inventory projection of a scenario. Grain: one row per scenario, variant, site and material per forecast day.",
        None,
    ),
    _scenario_of(
        "history.material_status",
        "Material status of a scenario. Grain: one row per scenario, variant, site and material.",
        (
            "site_id",
            "material_id",
            "supplier_id",
            "on_hand",
            "days_of_cover",
            "days_of_cover_unbounded",
            "stockout_date",
            "lead_time_days",
            "safety_stock",
            "reorder_point",
            "order_qty",
            "order_by_date",
        ),
        notes={"lead_time_days": "includes the scenario's supplier delay"},
    ),
    _scenario_of(
        "history.uncovered_demand",
        "Customer demand not covered by planned work orders in a scenario. Grain: one row per scenario, variant, product and demand day.",
        None,
    ),
    _scenario_of(
        "history.instructions",
        "Department instructions under a scenario. Grain: one row per scenario, variant and instruction (the nightly's rules applied to the variant's tables).",
        (
            "department",
            "priority",
            "action",
            "reason",
            "due_date",
            "entity_type",
            "entity_id",
            "line_id",
            "source",
        ),
    ),
    Table(
        "scenario.instruction_changes",
        "Instructions a scenario changes. Grain: one row per scenario and changed instruction: new (only under the scenario), dropped (only in the baseline) or changed (same department and entity, different action, priority or due date).",
        (
            Col("scenario_id", "VARCHAR", "", not_null=True),
            Col("change", "VARCHAR", "new / dropped / changed", not_null=True),
            Col(
                "department",
                "VARCHAR",
                "production / maintenance / procurement / quality / engineering",
                not_null=True,
            ),
            Col(
                "entity_type",
                "VARCHAR",
                "line / machine / sensor / material / purchase_order / product / lot / revision",
            ),
            Col("entity_id", "VARCHAR", ""),
            Col("line_id", "VARCHAR", ""),
            Col(
                "baseline_priority", "INTEGER", "priority in the baseline (null: not raised there)"
            ),
            Col(
                "scenario_priority", "INTEGER", "priority in the scenario (null: not raised there)"
            ),
            Col("baseline_action", "VARCHAR", "action in the baseline"),
            Col("scenario_action", "VARCHAR", "action in the scenario"),
            Col("baseline_due_date", "DATE", "due date in the baseline"),
            Col("scenario_due_date", "DATE", "due date in the scenario"),
            Col("reason", "VARCHAR", "the scenario's reason (the baseline's for dropped)"),
        ),
    ),
    Table(
        "core.sensor_hourly",
        "Publishing support. Grain: core.sensor_hourly one row per sensor per UTC hour (aggregates of core.sensor_readings, published instead of the raw readings); meta.sensor_hourly_batches one row per batch already folded into it.",
        (
            Col("sensor_id", "VARCHAR", "", not_null=True),
            Col("hour", "TIMESTAMP", "start of the UTC hour", not_null=True),
            Col("n", "BIGINT", "readings in the hour", not_null=True),
            Col("mean", "DOUBLE", "mu, mean of every measurement"),
            Col("min", "DOUBLE", "lowest reading in the hour"),
            Col("max", "DOUBLE", "highest reading in the hour"),
            Col("sd", "DOUBLE", "sample standard deviation of the hour's readings"),
            Col("bad_n", "BIGINT", "readings flagged quality = 'bad'"),
        ),
    ),
    Table(
        "meta.sensor_hourly_batches",
        "One row per sensor-readings batch folded into core.sensor_hourly, with when it was folded in.",
        (
            Col("batch_id", "VARCHAR", "", not_null=True),
            Col(
                "aggregated_at",
                "TIMESTAMP",
                "when the batch was folded into core.sensor_hourly (UTC)",
                not_null=True,
            ),
        ),
        key=("batch_id",),
    ),
    Table(
        "meta.sensor_hours",
        "Sensor-hour aggregates kept between rebuilds, so each reading is aggregated once (the night it arrives) instead of once per night of every builder lookback (twin_core/twin/sensor_cache.py). Grain: meta.sensor_hours and meta.sensor_quality_hours one row per sensor per UTC hour; meta.sensor_hours_days one row per cached UTC day with the fingerprints of the inputs it was computed from. Derived data: dropping the three only costs a recompute.",
        (
            Col("day", "DATE", "the UTC day of hour", not_null=True),
            Col("sensor_id", "VARCHAR", "", not_null=True),
            Col("hour", "TIMESTAMP", "start of the UTC hour", not_null=True),
            Col("n", "BIGINT", "readings in the hour"),
            Col("bad_n", "BIGINT", "readings flagged quality = 'bad'"),
            Col("oor_n", "BIGINT", "readings outside the sensor's valid range"),
            Col("running_n", "BIGINT", "readings in whole minutes the machine ran (by events)"),
            Col("first_ts", "TIMESTAMP", "first reading's time in the hour"),
            Col("last_ts", "TIMESTAMP", "last reading's time in the hour"),
            Col("oor_first_ts", "TIMESTAMP", "first out-of-range reading's time"),
            Col("oor_min", "DOUBLE", "lowest out-of-range value"),
            Col("oor_max", "DOUBLE", "highest out-of-range value"),
            Col("ok_n", "BIGINT", "usable readings (quality ok, inside the valid range)"),
            Col("min_value", "DOUBLE", "lowest usable reading"),
            Col("max_value", "DOUBLE", "highest usable reading"),
            Col("run_n", "BIGINT", "usable readings while the machine ran"),
            Col("run_mean", "DOUBLE", "mean of the usable readings while the machine ran"),
            Col(
                "run_sd",
                "DOUBLE",
                "standard deviation of the usable readings while the machine ran",
            ),
            Col("ok_mean", "DOUBLE", "over every usable reading: a machine without events"),
            Col("ok_sd", "DOUBLE", "in the lookback counts as running"),
        ),
    ),
    Table(
        "meta.sensor_quality_hours",
        "One row per sensor per UTC hour: the readings of each quality flag, cached for the rebuild's sensor checks.",
        (
            Col("day", "DATE", "the UTC day of hour", not_null=True),
            Col("sensor_id", "VARCHAR", "", not_null=True),
            Col("hour", "TIMESTAMP", "start of the UTC hour", not_null=True),
            Col("total", "DOUBLE", "sum of usable readings in running minutes"),
            Col("readings", "BIGINT", "readings with this quality flag in the hour"),
            Col("flat", "BOOLEAN", "every such reading had one value"),
        ),
    ),
    Table(
        "meta.sensor_hours_days",
        "One row per cached UTC day of meta.sensor_hours, with the fingerprints of the inputs it was computed from.",
        (
            Col("day", "DATE", "the cached UTC day", not_null=True),
            Col(
                "readings_fp",
                "VARCHAR",
                "the day's readings: count, latest _ingested_at",
                not_null=True,
            ),
            Col("events_fp", "VARCHAR", "machine events overlapping the day", not_null=True),
            Col(
                "sensors_fp", "VARCHAR", "sensor master data (machine, valid range)", not_null=True
            ),
            Col("computed_at", "TIMESTAMP", "when the day was aggregated (UTC)", not_null=True),
        ),
        key=("day",),
    ),
    Table(
        "core.promoted_batches",
        "Sensor readings are promoted in place (twin_core/validation/promote_in_place.py): in the warehouse, core.sensor_readings is a view over the raw readings of the promoted batches, less the rows left out (core.sensor_reading_exclusions: quarantined, or superseded by a later row of their key), instead of a second copy of the largest table (copying a bench day of 86M readings was half of validation's time). Grain: one row per source and batch promoted in place; promoting a batch again replaces it.",
        (
            Col("source", "VARCHAR", "the contract source (sensor_readings)", not_null=True),
            Col("batch_id", "VARCHAR", "the ingest batch (ingest.batches)", not_null=True),
            Col("promoted_at", "TIMESTAMP", "when it was (last) promoted", not_null=True),
            Col(
                "rows",
                "BIGINT",
                "rows of the batch in core right after its promotion",
                not_null=True,
            ),
            Col("ts_min", "TIMESTAMP", "the batch's earliest time (finds a day's batches)"),
            Col("ts_max", "TIMESTAMP", "the batch's latest time"),
        ),
        key=("source", "batch_id"),
    ),
    Table(
        "core.sensor_reading_exclusions",
        "Grain: one row per raw reading of a promoted batch that core.sensor_readings leaves out.",
        (
            Col("batch_id", "VARCHAR", "the raw row: _batch_id, _file, _row", not_null=True),
            Col("file", "VARCHAR", "path relative to landing/", not_null=True),
            Col(
                "row",
                "BIGINT",
                "1-based data row in the file; null when the whole file is quarantined",
                not_null=True,
            ),
            Col(
                "reason",
                "VARCHAR",
                "quarantined | superseded (a later row of its key won)",
                not_null=True,
            ),
            Col("by_batch", "VARCHAR", "the batch whose validation excluded it", not_null=True),
        ),
    ),
    Table(
        "history.data_coverage",
        "What data each snapshot stands on. Grain: one row per snapshot, site, line (null: the whole site, or a source with no site), source and plant day that the snapshot's builders read: the as-of day, and the days of the windows that health (sensor readings), OEE, reliability and the forecasts (events, production) look back over.",
        (
            Col("snapshot_id", "BIGINT", "", not_null=True),
            Col(
                "site_id", "VARCHAR", "null: a source the contract gives no site (demand, POs, ...)"
            ),
            Col("line_id", "VARCHAR", "null: the whole site"),
            Col(
                "source",
                "VARCHAR",
                "the contract source (sensor_readings, machine_events, ...)",
                not_null=True,
            ),
            Col("day", "DATE", "plant day", not_null=True),
            Col("required", "BOOLEAN", "[coverage.<source>] required", not_null=True),
            Col("rows", "BIGINT", "rows of the source found for the day", not_null=True),
            Col(
                "expected_rows",
                "DOUBLE",
                "readings expected: each sensor's observed sample period over the day (sensor_readings only)",
            ),
            Col(
                "covered",
                "DOUBLE",
                "what was found, in unit (readings; machine-seconds covered by events; machine-seconds running with production recorded)",
            ),
            Col(
                "expected",
                "DOUBLE",
                "what the master data and the data itself lead to expect, in unit (null: nothing to expect)",
            ),
            Col("unit", "VARCHAR", "readings / machine-seconds / running machine-seconds / rows"),
            Col(
                "newest_ts",
                "TIMESTAMP",
                "newest timestamp of the source up to the end of the day (naive UTC)",
            ),
            Col("completeness", "DOUBLE", "covered / expected (null when nothing is expected)"),
            Col("status", "VARCHAR", "ok / partial / missing / stale", not_null=True),
            Col("reason", "VARCHAR", "why the status is not ok, in words"),
        ),
    ),
    Table(
        "history.instruction_history",
        "Grain: one row per snapshot and instruction key: the snapshot's instructions (state new / open / escalated) and the previous night's keys that are gone (state resolved: the condition is gone).",
        (
            Col("snapshot_id", "BIGINT", "", not_null=True),
            Col("as_of", "DATE", "the plant day (night) this state is of", not_null=True),
            Col(
                "instruction_key",
                "VARCHAR",
                "department|kind|entity|cause: the same finding has the same key every night",
                not_null=True,
            ),
            Col("state", "VARCHAR", "new / open / escalated / resolved", not_null=True),
            Col(
                "department",
                "VARCHAR",
                "production / maintenance / procurement / quality / engineering",
                not_null=True,
            ),
            Col("kind", "VARCHAR", "the rule that found it (stable across nights)"),
            Col("priority", "INTEGER", "tonight's priority (resolved: the last one it had)"),
            Col("loss", "DOUBLE", "the loss the instruction prevents, in loss_unit"),
            Col(
                "loss_unit",
                "VARCHAR",
                "units short / days out of stock / parts at risk of shipping out of spec / hours of unplanned downtime / ...",
            ),
            Col(
                "cause_id",
                "VARCHAR",
                "the root cause (machine:L2-M2, line:L3, material:MAT-008, ...); shared across departments",
            ),
            Col(
                "entity_type",
                "VARCHAR",
                "line / machine / sensor / material / purchase_order / product / lot / revision",
            ),
            Col("entity_id", "VARCHAR", ""),
            Col("action", "VARCHAR", "tonight's action (resolved: the last one it had)"),
            Col("first_seen", "DATE", "plant day the instruction key first appeared"),
            Col(
                "nights_open", "INTEGER", "nights in a row the key has been open, this one included"
            ),
            Col(
                "previous_as_of",
                "DATE",
                "the as-of day of the night it was compared with (null: none before)",
            ),
        ),
    ),
    Table(
        "history.quality_alerts",
        "The hourly quality watch. Grain: history.quality_alerts one row per finding (a suspect lot on a control chart, a drifting machine metric, a faulty sensor), alerted once; history.watch_runs one row per watch cycle; history.watch_batches one row per ingest batch a cycle judged (so a batch is judged by exactly one cycle).",
        (
            Col(
                "alert_key",
                "VARCHAR",
                "the finding_key on its first alert, finding_key#<generation> on each later one",
                not_null=True,
            ),
            Col("site_id", "VARCHAR", ""),
            Col(
                "kind",
                "VARCHAR",
                "spc (control chart) / drift (pre-emptive) / sensor (sensor fault)",
                not_null=True,
            ),
            Col("lot_id", "VARCHAR", "the suspect lot (spc); the first alarming lot (drift)"),
            Col("product_id", "VARCHAR", ""),
            Col(
                "characteristic", "VARCHAR", "inspected characteristic, defect:<code> / defects:all"
            ),
            Col("machine_id", "VARCHAR", ""),
            Col("sensor_id", "VARCHAR", ""),
            Col(
                "rule",
                "VARCHAR",
                "run rules (WE1, ...), drift:<metric>:<up|down>, or the sensor status",
                not_null=True,
            ),
            Col("evidence", "VARCHAR", ""),
            Col(
                "data_ts",
                "TIMESTAMP",
                "when it happened in the data: lot's first measurement, alarm record end, fault start (UTC)",
            ),
            Col(
                "first_seen",
                "TIMESTAMP",
                "wall clock of the cycle that alerted it (UTC)",
                not_null=True,
            ),
            Col("first_cycle", "BIGINT", "history.watch_runs.cycle_id", not_null=True),
            Col("data_cut", "TIMESTAMP", "the newest data the alerting cycle had (UTC)"),
            Col("last_seen", "TIMESTAMP", "last cycle that saw the finding again"),
            Col(
                "state",
                "VARCHAR",
                "open / confirmed (the nightly found it too) / cleared (the nightly did not)",
                not_null=True,
            ),
            Col("state_at", "TIMESTAMP", "when the nightly set the state"),
            Col("state_snapshot_id", "BIGINT", "the snapshot that confirmed or cleared it"),
            Col(
                "state_reason",
                "VARCHAR",
                "why the alert is in its state (what opened, held or closed it)",
            ),
            Col(
                "finding_key",
                "VARCHAR",
                "the finding's identity: kind:entities:rule (alert_key without its #generation)",
            ),
            Col(
                "generation",
                "INTEGER",
                "1 for a finding's first alert; n + 1 when it recurs after the nightly cleared alert n",
            ),
            Col(
                "follows",
                "VARCHAR",
                "the cleared alert_key this alert follows (null on a first alert)",
            ),
        ),
        key=("alert_key",),
    ),
    Table(
        "history.watch_runs",
        "One row per cycle of the hourly quality watch: what it judged and how long it took.",
        (
            Col("cycle_id", "BIGINT", "the watch cycle's number", not_null=True),
            Col("started_at", "TIMESTAMP", "when the cycle started (UTC)", not_null=True),
            Col("finished_at", "TIMESTAMP", "when the cycle finished (UTC)"),
            Col(
                "snapshot_id",
                "BIGINT",
                "the snapshot whose limits judged the new data (null: none yet)",
            ),
            Col("batches", "VARCHAR", "JSON list of the ingest batches judged"),
            Col("data_cut", "TIMESTAMP", "newest timestamp in the judged data (UTC)"),
            Col("new_lots", "BIGINT", "lots not judged before that the cycle judged"),
            Col("new_records", "BIGINT", "production records"),
            Col("new_sensor_hours", "BIGINT", "sensor x hour groups"),
            Col("findings", "BIGINT", "findings this cycle (new or seen before)"),
            Col("alerts", "BIGINT", "new alerts this cycle"),
            Col("seconds", "DOUBLE", "the cycle's duration in seconds"),
            Col("note", "VARCHAR", "what the cycle did, in words (or why it did nothing)"),
        ),
        key=("cycle_id",),
    ),
    Table(
        "history.watch_batches",
        "One row per quality batch a watch cycle judged (so each batch is judged once).",
        (
            Col("batch_id", "VARCHAR", "", not_null=True),
            Col("cycle_id", "BIGINT", "the watch cycle that judged the batch", not_null=True),
        ),
        key=("batch_id",),
    ),
    Table(
        "ingest.lake_files",
        "Sensor readings stored once, as write-once Parquet files under TWIN_HOME/lake/"
        "<source>/site=<id>/day=<date>/<sha256>.parquet (twin_core/ingest/lake.py); "
        "raw.sensor_readings is a view over them. Grain: one row per landing file version "
        "whose rows are in the lake.",
        (
            Col("source", "VARCHAR", "the contract source (sensor_readings)", not_null=True),
            Col(
                "path",
                "VARCHAR",
                "relative to TWIN_HOME: lake/<source>/site=<id>/day=<date>/<sha256>.parquet",
                not_null=True,
            ),
            Col("sha256", "VARCHAR", "of the lake file's bytes (its name)", not_null=True),
            Col(
                "how",
                "VARCHAR",
                "adopted (the landing Parquet file itself) | converted (typed once, with _row "
                "and _extra)",
                not_null=True,
            ),
            Col(
                "batch_id",
                "VARCHAR",
                "provenance of every row of the file: _batch_id, _file, _ingested_at",
                not_null=True,
            ),
            Col("file", "VARCHAR", "path relative to landing/", not_null=True),
            Col("ingested_at", "TIMESTAMP", "when the file was ingested (UTC)", not_null=True),
            Col(
                "rows",
                "BIGINT",
                "rows in the lake file (converted: also the rows that failed a cast, marked in "
                "_extra)",
                not_null=True,
            ),
            Col("site_id", "VARCHAR", "", not_null=True),
            Col("day", "DATE", "the day of the file's earliest reading"),
        ),
        key=("source", "batch_id", "file"),
    ),
    Table(
        "meta.lake_root",
        "One row: the TWIN_HOME the lake views' absolute paths were written for (a home that "
        "moved gets them rewritten at its next write open).",
        (Col("root", "VARCHAR", "absolute path of TWIN_HOME", not_null=True),),
    ),
    Table(
        "meta.schema_version",
        "One row per applied migration file of sql/schema, with its checksum.",
        (
            Col(
                "version",
                "INTEGER",
                "migration number (NNN of sql/schema/NNN_name.sql)",
                not_null=True,
            ),
            Col("name", "VARCHAR", "migration name"),
            Col(
                "checksum",
                "VARCHAR",
                "SHA-256 of the migration file as applied (verified at every open)",
            ),
            Col("applied_at", "TIMESTAMP", "when it was applied (UTC)"),
        ),
        key=("version",),
    ),
    Table(
        "meta.publish",
        "One row: the publication this plant.duckdb is (snapshot, time, code version, source "
        "warehouse). Only in plant.duckdb (written by twin_core/publish.py).",
        (
            Col("snapshot_id", "BIGINT", "the twin snapshot the published twin.* views show"),
            Col("published_at", "TIMESTAMP", "when it was published (UTC)"),
            Col("code_version", "VARCHAR", "plant-twin version that published it"),
            Col("source", "VARCHAR", "path of the warehouse it was published from"),
        ),
        in_warehouse=False,
    ),
)


def _contract_tables() -> tuple[Table, ...]:
    """``raw.<source>`` and ``core.<source>`` of every landing source, from the contracts."""
    out: list[Table] = []
    for layer, provenance, what in (
        ("raw", ("_batch_id", "_file", "_row", "_extra", "_ingested_at"), "as ingested (typed)"),
        ("core", ("_batch_id", "_file", "_row", "_ingested_at"), "validated, one per key"),
    ):
        for s in SOURCES.values():
            if layer == "core" and s.name == "sensor_readings":
                continue  # a view over raw (080_readings_in_place.sql): in VIEWS
            cols = [
                Col(
                    c.name,
                    c.type,
                    c.description or CONTRACT_NOTES.get((s.name, c.name), ""),
                )
                for c in s.columns
            ]
            for name in provenance:
                typ, meaning, not_null = _PROVENANCE[name]
                not_null = not_null or (layer == "raw" and name == "_ingested_at")
                cols.append(Col(name, typ, meaning, not_null=not_null))
            desc = f"{s.description} Landing source {s.name} ({s.system}), {what}."
            name = f"{layer}.{s.name}"
            if name == "raw.sensor_readings":
                # a view over the lake and these rows (120_lake.sql): in VIEWS
                name = "raw.sensor_readings_rows"
                desc += " The rows an earlier version stored in the warehouse, before the lake."
            out.append(Table(name, desc, tuple(cols)))
    return tuple(out)


TABLES: tuple[Table, ...] = _contract_tables() + _DECLARED
_BY_NAME: dict[str, Table] = {t.full_name: t for t in TABLES}

# Views of the query surface: view -> (the declared table whose columns it shows, its meaning).
VIEWS: dict[str, tuple[str, str]] = {
    **{
        f"twin.{t.name}": (
            t.full_name,
            f"The latest complete snapshot of {t.full_name}. " + t.description,
        )
        for t in _DECLARED
        if t.schema == "history"
        and t.name
        not in ("snapshots", "instructions", "instruction_history", "watch_runs", "watch_batches")
    },
    "twin.snapshots": (
        "history.snapshots",
        "Every snapshot, newest first. " + _BY_NAME["history.snapshots"].description,
    ),
    "report.instructions": (
        "history.instructions",
        "The latest complete snapshot's instructions in reading order (rank). "
        + _BY_NAME["history.instructions"].description,
    ),
    "report.instruction_history": (
        "history.instruction_history",
        "Every night's state of every instruction key (latest complete snapshot of each plant "
        "day), newest night first. " + _BY_NAME["history.instruction_history"].description,
    ),
    "raw.sensor_readings": (
        "raw.sensor_readings_rows",
        "The readings of the lake's Parquet files (ingest.lake_files) and of "
        "raw.sensor_readings_rows. "
        + SOURCES["sensor_readings"].description
        + " Landing source sensor_readings (iot), as ingested (typed).",
    ),
    "core.sensor_readings": (
        "core.sensor_readings",
        "The raw readings of promoted batches less the rows validation left out "
        "(core.sensor_reading_exclusions). "
        + SOURCES["sensor_readings"].description
        + " Landing source sensor_readings (iot), as ingested (typed).",
    ),
}


# The enterprise plant.duckdb of a multi-site home (twin_core/enterprise.py): every site's
# twin.* and report.* views become tables over all sites and keep their sites' comments; what
# the enterprise file has beyond them is declared here.
ENTERPRISE_ADDED_COLUMNS: dict[str, str] = {
    "site_id": "the site the row comes from (twin.sites)",
    "in_enterprise": "true on the snapshot this file's part of the site comes from",
    "stale": "true when the site's data was missing tonight: the site's previous night is shown "
    "(twin.sites.stale_reason)",
}
ENTERPRISE_TABLES: tuple[Table, ...] = (
    Table(
        "twin.sites",
        "One row per site of the enterprise file: the site's published snapshot it shows and "
        "whether that is tonight's or, stale, the previous night's.",
        (
            Col("site_id", "VARCHAR", "the site (its home is TWIN_HOME/sites/<site_id>/)"),
            Col("snapshot_id", "BIGINT", "the site's snapshot this file shows"),
            Col("as_of", "DATE", "the plant day of that snapshot"),
            Col("published_at", "TIMESTAMP", "when the site's plant.duckdb was published (UTC)"),
            Col("stale", "BOOLEAN", "true when the site's data was missing tonight"),
            Col("stale_reason", "VARCHAR", "why the site is stale (what was missing)"),
            Col("source", "VARCHAR", "path of the site's plant.duckdb this file was built from"),
        ),
    ),
    Table(
        "meta.publish",
        "One row: the enterprise publication this plant.duckdb is (night, time, code version, "
        "sites). Only in the enterprise file (written by twin_core/enterprise.py).",
        (
            Col("as_of", "DATE", "the night every site's snapshot is of (or the stale ones' last)"),
            Col("published_at", "TIMESTAMP", "when it was published (UTC)"),
            Col("code_version", "VARCHAR", "plant-twin version that published it"),
            Col("site_ids", "VARCHAR[]", "the sites in this file"),
            Col("stale_site_ids", "VARCHAR[]", "the sites shown with their previous night's data"),
            Col("kind", "VARCHAR", "'enterprise' (a site's own file has no kind)"),
        ),
    ),
    Table(
        "twin.oee_by_site",
        "One row per (site, day): OEE over the site's machines, each factor time-weighted "
        "(sql/enterprise/oee_by_site.sql).",
        (
            Col("site_id", "VARCHAR", "the site"),
            Col("day", "DATE", "the plant day"),
            Col("machines", "BIGINT", "machines with planned time that day"),
            Col("lines", "BIGINT", "lines of those machines"),
            Col("availability", "DOUBLE", "running / planned busy time, over the site's machines"),
            Col("performance", "DOUBLE", "performance weighted by running time"),
            Col("quality", "DOUBLE", "good / (good + scrap) units"),
            Col("oee", "DOUBLE", "availability x performance x quality of the site"),
            Col("mean_machine_oee", "DOUBLE", "the unweighted mean of the machines' OEE"),
            Col("good_qty", "DOUBLE", "good units made"),
            Col("scrap_qty", "DOUBLE", "scrapped units"),
        ),
    ),
    Table(
        "twin.revision_feedback_sites",
        "One row per (product, revision): its customer feedback at every site that builds it "
        "(sql/enterprise/revision_feedback_sites.sql).",
        (
            Col("product_id", "VARCHAR", "the product"),
            Col("revision", "VARCHAR", "the product revision"),
            Col("sites", "BIGINT", "sites that shipped it"),
            Col("complaints", "HUGEINT", "complaints over all sites"),
            Col("units_shipped", "HUGEINT", "units shipped over all sites"),
            Col("rate_per_1000_units", "DOUBLE", "complaints per 1,000 units shipped"),
            Col("flagged_at_any_site", "BOOLEAN", "a site's twin flagged the revision"),
            Col(
                "per_site",
                "STRUCT",
                "each site's complaints, units, rate per 1,000 units and flag, by site",
            ),
        ),
    ),
    Table(
        "twin.supplier_performance_sites",
        "One row per supplier: its performance across every site it delivers to, weighted by "
        "each site's received POs (sql/enterprise/supplier_performance_sites.sql).",
        (
            Col("supplier_id", "VARCHAR", "the supplier"),
            Col("sites", "BIGINT", "sites it delivers to"),
            Col("site_ids", "VARCHAR[]", "those sites"),
            Col("received_pos", "HUGEINT", "received purchase orders over all sites"),
            Col("on_time_rate", "DOUBLE", "on-time rate, weighted by received POs"),
            Col("lead_time_mean_days", "DOUBLE", "mean lead time (days), weighted by received POs"),
            Col("open_pos", "HUGEINT", "open purchase orders"),
            Col("late_open_pos", "HUGEINT", "open purchase orders already late"),
            Col("max_risk_score", "DOUBLE", "the highest risk score any site gives it"),
            Col("worst_site", "VARCHAR", "the site with the lowest on-time rate (ties: site id)"),
            Col("worst_site_on_time_rate", "DOUBLE", "that site's on-time rate"),
        ),
    ),
)


def table(full_name: str) -> Table:
    """The declared table ``schema.name`` (a ``KeyError`` naming it when undeclared)."""
    try:
        return _BY_NAME[full_name]
    except KeyError:
        raise KeyError(f"{full_name} is not declared in twin_core/tables.py") from None


def view_meaning(view: str, column: str) -> str:
    base, _ = VIEWS[view]
    if view == "core.sensor_readings":
        return table("raw.sensor_readings_rows").column(column).meaning
    return table(base).column(column).meaning


def comment_statements(
    con: duckdb.DuckDBPyConnection,
    only: str | None = None,
    declared: tuple[Table, ...] | None = None,
) -> list[str]:
    """The ``COMMENT ON`` statements that make the catalogue behind ``con`` carry the
    declared meaning of every declared table, view and column it has (only those whose
    comment differs: applying twice runs nothing the second time); ``only``: of that one
    ``schema.name`` (a view just re-created); ``declared``: another file's declarations
    (``ENTERPRISE_TABLES``; a declared view gets its columns' meanings the same way)."""
    by_name = _BY_NAME if declared is None else {t.full_name: t for t in declared}
    views = VIEWS if declared is None else {}
    objects = {
        (str(s), str(n)): (str(kind), str(c or ""))
        for s, n, kind, c in con.execute(
            "select schema_name, table_name, 'table', comment from duckdb_tables() "
            "where database_name = current_database() and not temporary union all "
            "select schema_name, view_name, 'view', comment from duckdb_views() "
            "where database_name = current_database() and not internal and not temporary"
        ).fetchall()
    }
    columns = con.execute(
        "select schema_name, table_name, column_name, coalesce(comment, '') "
        "from duckdb_columns() where database_name = current_database() and not internal"
    ).fetchall()
    if only is not None:
        objects = {k: v for k, v in objects.items() if f"{k[0]}.{k[1]}" == only}
    out: list[str] = []
    for (schema, name), (kind, current) in sorted(objects.items()):
        full = f"{schema}.{name}"
        if kind == "view" and full in views:
            wanted = views[full][1]
        elif full in by_name:
            wanted = by_name[full].description
        else:
            continue
        if wanted != current:
            out.append(f"comment on {kind} {_qual(schema, name)} is {sql_literal(wanted)}")
    for schema, name, column, current in columns:
        full = f"{schema}.{name}"
        if (str(schema), str(name)) not in objects:
            continue
        kind = objects[(str(schema), str(name))][0]
        try:
            if kind == "view" and full in views:
                wanted = view_meaning(full, str(column))
            elif full in by_name:
                wanted = by_name[full].column(str(column)).meaning
            else:
                continue
        except KeyError:
            continue  # an undeclared column: tests/test_tables.py reports it
        if wanted and wanted != current:
            out.append(
                f"comment on column {_qual(str(schema), str(name))}.{_ident(str(column))} "
                f"is {sql_literal(wanted)}"
            )
    return out


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _qual(schema: str, name: str) -> str:
    return f"{_ident(schema)}.{_ident(name)}"


def apply_comments(con: duckdb.DuckDBPyConnection) -> int:
    """Comment every declared table, view and column behind ``con`` with its declared
    meaning, in one transaction. Returns the statements run (0 when all were current)."""
    statements = comment_statements(con)
    if statements:
        with transaction(con):
            for s in statements:
                con.execute(s)
    return len(statements)


def migration_sql(con: duckdb.DuckDBPyConnection, declared: tuple[Table, ...] | None = None) -> str:
    """What a new migration must hold so the warehouse behind ``con`` (every migration
    applied) matches the declaration: ``create table`` for a declared table it lacks and
    ``alter table ... add column`` for a declared column it lacks. Empty when it matches."""
    have: dict[str, list[str]] = {}
    for schema, name, column in con.execute(
        "select schema_name, table_name, column_name from duckdb_columns() "
        "where database_name = current_database() order by column_index"
    ).fetchall():
        have.setdefault(f"{schema}.{name}", []).append(str(column))
    parts: list[str] = []
    for t in TABLES if declared is None else declared:
        if not t.in_warehouse:
            continue
        if t.full_name not in have:
            parts.append(t.create_sql())
            continue
        for c in t.columns:
            if c.name not in have[t.full_name]:
                parts.append(
                    f"alter table {t.full_name} add column if not exists {c.ddl()};  -- {c.meaning}"
                )
    return "\n\n".join(parts) + ("\n" if parts else "")


_POLARS: dict[str, pl.DataType] = {
    "VARCHAR": pl.String(),
    "DOUBLE": pl.Float64(),
    "FLOAT": pl.Float32(),
    "BIGINT": pl.Int64(),
    "INTEGER": pl.Int32(),
    "BOOLEAN": pl.Boolean(),
    "DATE": pl.Date(),
    "TIMESTAMP": pl.Datetime("us"),
}


def polars_schema(full_name: str, without: tuple[str, ...] = ()) -> dict[str, pl.DataType]:
    """The polars dtypes of a declared table's columns, in order, less ``without`` (scalar
    types only): the schema of a frame built for the table."""
    out: dict[str, pl.DataType] = {}
    for c in table(full_name).columns:
        if c.name in without:
            continue
        if c.type not in _POLARS:
            raise KeyError(f"{full_name}.{c.name}: no polars type for {c.type}")
        out[c.name] = _POLARS[c.type]
    return out
