"""The twin's settings: one pydantic-settings class, environment prefix ``TWIN_``.

Precedence, highest first: keyword arguments, environment variables (``TWIN_HOME``,
``TWIN_TIMEZONE``, ...), the TOML file, then the defaults below. The TOML file is
``$TWIN_CONFIG`` if set, else ``twin.toml`` in the current directory, else
``<TWIN_HOME>/twin.toml``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from twin_core.sim.quality.spc_rule_config import RuleConfig

DEFAULT_HOME = Path("~/.plant-twin")


def _toml_path() -> Path | None:
    explicit = os.environ.get("TWIN_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    local = Path("twin.toml")
    if local.is_file():
        return local
    home = Path(os.environ.get("TWIN_HOME", str(DEFAULT_HOME))).expanduser()
    candidate = home / "twin.toml"
    return candidate if candidate.is_file() else None


class ValidationSettings(BaseModel):
    """Great Expectations validation (TOML table ``[validation]``): severities and the bands of
    the batch-level expectations. See twin_core/validation and the README."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    severity: dict[str, Literal["error", "warning", "off"]] = Field(
        default_factory=dict,
        description="Severity overrides. Key: a rule (`expect_column_values_to_not_be_null:quality`, "
        "`unique_key`, a contract rule such as `end_after_start`) or an expectation type "
        "(`expect_table_row_count_to_be_between`), optionally prefixed by `<source>.`; the most "
        "specific key wins. error: quarantine failing rows (row level) or fail the batch (batch "
        "level); warning: report only; off: do not run.",
    )
    data_docs_runs: int = Field(
        default=60,
        ge=1,
        description="Validation runs whose results the Data Docs keep (older ones are removed "
        "from the docs; quality.validation_runs keeps every outcome).",
    )
    volume_history: int = Field(
        default=7,
        ge=1,
        description="Recent validated batches whose row counts set the volume band.",
    )
    volume_min_history: int = Field(
        default=3, ge=1, description="Batches with the source needed before the volume check runs."
    )
    volume_low: float = Field(
        default=0.5,
        ge=0,
        description="Volume band lower bound, as a multiple of the recent median.",
    )
    volume_high: float = Field(
        default=2.0,
        gt=0,
        description="Volume band upper bound, as a multiple of the recent median.",
    )
    freshness_days: int = Field(
        default=2,
        ge=0,
        description="A batch's newest event must be at most this many days before the as-of date.",
    )
    sensors_reporting_min_share: float = Field(
        default=0.9,
        ge=0,
        le=1,
        description="Share of known sensors that must report in a batch of sensor readings.",
    )


class ReportSettings(BaseModel):
    """How the plant report presents the instructions (TOML table ``[report]``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_items_per_department: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="Actions per department on the plant report's front page; the rest are one "
        "click away on the same page (collapsed) and complete in report.instructions, "
        "instructions.csv and instructions.md.",
    )
    cpk_target: float = Field(
        default=1.33,
        gt=0,
        le=10,
        description="Cpk below this is highlighted in red on the quality report's capability "
        "histograms.",
    )


class SourcePolicy(BaseModel):
    """How much of one source a snapshot needs (TOML table ``[coverage.<source>]``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    required: bool = Field(
        default=False,
        description="The nightly stops before the rebuild when this source is missing or stale "
        "for the as-of day (unless --allow-partial), and a snapshot built without it is degraded.",
    )
    min_completeness: float = Field(
        default=0.9,
        ge=0,
        le=1,
        description="Share of the expected rows (or covered time) below which a day is partial.",
    )
    max_staleness_hours: float | None = Field(
        default=None,
        ge=0,
        description="The source's newest row may be at most this many hours before the end of "
        "the as-of day; older is stale. None: staleness is not judged.",
    )


# The policy of each source unless twin.toml says otherwise; a [coverage.<source>] table
# overrides only the fields it names.
DEFAULT_COVERAGE: dict[str, SourcePolicy] = {
    "sensor_readings": SourcePolicy(required=True, min_completeness=0.9, max_staleness_hours=6),
    "machine_events": SourcePolicy(required=True, min_completeness=0.9, max_staleness_hours=12),
    "production": SourcePolicy(required=True, min_completeness=0.8, max_staleness_hours=12),
    "inventory": SourcePolicy(max_staleness_hours=72),
    "purchase_orders": SourcePolicy(),
    "work_orders": SourcePolicy(),
    "demand": SourcePolicy(),
    "inspections": SourcePolicy(max_staleness_hours=48),
    "defects": SourcePolicy(max_staleness_hours=72),
    "customer_feedback": SourcePolicy(),
    "shifts": SourcePolicy(),
}


class Settings(BaseSettings):
    """Everything that can be tuned without code."""

    model_config = SettingsConfigDict(env_prefix="TWIN_", extra="forbid", validate_default=True)

    home: Path = Field(
        default=DEFAULT_HOME,
        description="Folder holding landing/, warehouse.duckdb, plant.duckdb, reports/ and "
        "validation results. Default ~/.plant-twin.",
    )
    site_ids: list[str] = Field(
        default_factory=list,
        description="Sites this process works on; empty means every site found in the data.",
    )
    timezone: str = Field(
        default="UTC",
        description="The plant's IANA timezone; days (OEE, requirements, reports) are calendar "
        "days in this zone. Timestamps without an offset are read as UTC.",
    )
    horizon_days: int = Field(
        default=14, ge=1, le=120, description="Days ahead the line and inventory forecasts cover."
    )
    replications: int = Field(
        default=500, ge=10, le=100_000, description="Monte Carlo replications per line forecast."
    )
    seed: int = Field(default=20261126, description="Seed for every random draw of a rebuild.")
    baseline_subgroups: int = Field(
        default=25, ge=2, description="SPC: subgroups of each series whose data set the limits."
    )
    spc_rules: RuleConfig = Field(
        default_factory=RuleConfig,
        description="SPC run rules (TOML table ``[spc_rules]``): ``default`` rule set (WE1-WE4), "
        "``overrides`` per product (and characteristic), and ``nelson8`` (both_sides, Nelson "
        "1984, or either_side, Minitab); see twin_core/sim/quality/spc_rules.py.",
    )
    service_level_default: float = Field(
        default=0.95, gt=0, lt=1, description="Service level for materials that state none."
    )
    min_lead_time_history: int = Field(
        default=5,
        ge=2,
        description="Received POs a supplier needs before its measured lead time replaces the "
        "master data lead time.",
    )
    strict_ingest: bool = Field(
        default=False,
        description="Fail the ingest run (after loading what is good) when any input was "
        "quarantined, instead of completing with a warning.",
    )
    ingest_settle_s: int = Field(
        default=300,
        ge=0,
        description="Seconds a CSV or JSON-lines file whose last line has no newline must go "
        "unchanged before ingest takes it as complete (until then it is held back: possibly "
        "cut off while being written).",
    )
    duckdb_threads: int | None = Field(
        default=None, ge=1, description="DuckDB worker threads; default: DuckDB's own (all cores)."
    )
    # Not DuckDB's own default (80% of RAM): with it, the key check of a bench-scale day of
    # readings (86M groups) held 5 GB and ran slower than when DuckDB spills past 3 GB.
    duckdb_memory_limit: str | None = Field(
        default="3GB",
        description="DuckDB memory_limit, e.g. '8GB' (None: DuckDB's own, 80% of RAM). The "
        "default keeps a bench-scale nightly under 4 GB resident; DuckDB spills to disk past it.",
    )
    published_storage_version: str = Field(
        default="v1.2.0",
        pattern=r"^v\d+\.\d+\.\d+$",
        description="DuckDB storage format of the published plant.duckdb, as the oldest DuckDB "
        "release that must read it (e.g. 'v1.2.0'). DuckDB 2 writes format v69 by default, which "
        "the DuckDB 1.x CLI and the JDBC driver that DBeaver ships refuse ('can only read 64-68').",
    )

    validation: ValidationSettings = Field(
        default_factory=ValidationSettings,
        description="Validation severities and batch-level bands (TOML table [validation]).",
    )

    report: ReportSettings = Field(
        default_factory=ReportSettings,
        description="Plant report presentation (TOML table [report]): max_items_per_department.",
    )

    coverage: dict[str, SourcePolicy] = Field(
        default_factory=lambda: dict(DEFAULT_COVERAGE),
        description="Per source (TOML tables ``[coverage.<source>]``): required, "
        "min_completeness, max_staleness_hours; a table overrides only the fields it names. "
        "See the README's 'What the twin knows'.",
    )

    @field_validator("coverage", mode="before")
    @classmethod
    def _merge_coverage(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        unknown = sorted(set(v) - set(DEFAULT_COVERAGE))
        if unknown:
            raise ValueError(
                f"[coverage] names no source {unknown}; sources: {sorted(DEFAULT_COVERAGE)}"
            )
        merged: dict[str, Any] = {k: p.model_dump() for k, p in DEFAULT_COVERAGE.items()}
        for source, given in v.items():
            if isinstance(given, SourcePolicy):
                given = given.model_dump()
            if not isinstance(given, dict):
                raise ValueError(f"[coverage.{source}] must be a table of policy fields")
            merged[source] = {**merged[source], **given}
        return merged

    @field_validator("home", mode="after")
    @classmethod
    def _expand_home(cls, v: Path) -> Path:
        return v.expanduser()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown timezone {v!r}; use an IANA name like 'Europe/Berlin'"
            ) from exc
        return v

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml = _toml_path()
        if toml is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml))
        return tuple(sources)

    # Paths derived from home; the only place they are spelled.
    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def published_path(self) -> Path:
        return self.home / "plant.duckdb"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def validation_dir(self) -> Path:
        return self.home / "validation"


def get_settings(**overrides: Any) -> Settings:
    """Build settings from overrides, environment and TOML (read fresh each call).

    Invalid settings raise ``SettingsError`` naming where each bad value came from (the TOML
    file, the variable) and, for an unknown key, the closest known one.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise settings_error(exc, overrides) from None


# Variables the twin reads besides the settings' own TWIN_<FIELD>: the config file, the
# fault-injection hook of the reliability suite, and what `make server` passes to Prefect.
OTHER_ENV = frozenset(
    {"TWIN_CONFIG", "TWIN_CRASH_AT", "TWIN_REPO", "TWIN_SERVER_START_TIMEOUT", "TWIN_FAULT_TABLE"}
    # scripts/server.sh and scripts/postgres.sh (scale-out, docs/scale-out.md)
    | {"TWIN_SERVER_DB", "TWIN_PG_DIR", "TWIN_PG_PORT", "TWIN_PG_BIN", "TWIN_SITE_WORKERS"}
    | {"TWIN_DEPLOYMENTS", "TWIN_PENDING_TIMEOUT_S"}
)


class SettingsError(ValueError):
    """Settings that cannot be read: names the file (or variable) and the key, with the closest
    known key when the name looks like a typo."""


def _closest(name: str, known: list[str]) -> str:
    import difflib

    match = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def settings_error(exc: ValidationError, overrides: dict[str, Any]) -> SettingsError:
    """One message per problem, each saying where the value came from."""
    toml = _toml_path()
    problems: list[str] = []
    for e in exc.errors():
        loc = [str(p) for p in e["loc"]]
        key = ".".join(loc)
        top = loc[0] if loc else ""
        env = f"TWIN_{top.upper()}"
        where = (
            "an argument"
            if top in overrides
            else f"environment variable {env}"
            if env in os.environ
            else f"{toml.resolve()}"
            if toml is not None
            else "the defaults"
        )
        if e["type"] == "extra_forbidden":
            model: type[BaseModel] = Settings
            for part in loc[:-1]:
                field = model.model_fields.get(part)
                ann = getattr(field, "annotation", None) if field is not None else None
                if isinstance(ann, type) and issubclass(ann, BaseModel):
                    model = ann
            known = sorted(model.model_fields)
            problems.append(f"{where}: unknown key {key!r}{_closest(loc[-1], known)}")
        else:
            problems.append(f"{where}: {key}: {e['msg']}")
    return SettingsError("invalid settings: " + "; ".join(problems))


def unknown_env_vars(environ: dict[str, str] | None = None) -> list[str]:
    """TWIN_* variables in the environment that nothing reads, each with the closest known."""
    env = os.environ if environ is None else environ
    known = [f"TWIN_{name.upper()}" for name in Settings.model_fields] + sorted(OTHER_ENV)
    return [
        f"{name} is not a setting{_closest(name, known)}"
        for name in sorted(env)
        if name.startswith("TWIN_") and name not in known
    ]
