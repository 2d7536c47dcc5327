"""Check the files of a TWIN_HOME (``twin doctor``) and rebuild a damaged warehouse from the
landing files (``twin recover``).

The check reads every block of every table of ``warehouse.duckdb`` (DuckDB verifies each
block's checksum as it reads it), opens ``plant.duckdb`` read-only, and looks for what stops
files from opening (a WAL of another file, a folder under a file's name, half-built publishes).

Recovery is possible because ingest keeps the sha256 of every file it loaded
(``ingest.files``): the damaged warehouse is moved aside (never deleted), a new one is built
by ingesting and validating every landing file, and each file the old manifest lists is
accounted for (loaded again with the same hash, changed, or missing from landing).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import duckdb

from twin_core.runlock import home_lock
from twin_core.settings import Settings
from twin_core.warehouse import (
    WarehouseError,
    connect,
    damaged_marker,
    open_warehouse,
    unreadable_tables,
)

Level = Literal["ok", "warning", "error"]


@dataclass(frozen=True)
class Finding:
    """One thing ``check_home`` looked at."""

    level: Level
    subject: str
    message: str


@dataclass
class HomeReport:
    findings: list[Finding] = field(default_factory=list)

    def add(self, level: Level, subject: str, message: str) -> None:
        self.findings.append(Finding(level, subject, message))

    @property
    def warehouse_damaged(self) -> bool:
        return any(f.level == "error" and f.subject == "warehouse.duckdb" for f in self.findings)

    @property
    def ok(self) -> bool:
        return not any(f.level == "error" for f in self.findings)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _check_warehouse(settings: Settings, report: HomeReport) -> None:
    path = settings.warehouse_path
    subject = "warehouse.duckdb"
    if not path.exists():
        report.add("warning", subject, f"{path} does not exist (run `twin init`)")
        return
    if path.is_dir():
        report.add("error", subject, f"{path} is a folder, not a DuckDB file")
        return
    marker = damaged_marker(path)
    try:
        con = connect(path, read_only=True, settings=settings)
    except WarehouseError as exc:
        report.add("error", subject, str(exc))
        return
    try:
        n, failed = unreadable_tables(con)
        if not failed:
            _check_lake(con, settings, report)
    finally:
        con.close()
    if failed:
        listed = "; ".join(f"{t}: {why}" for t, why in failed[:5])
        more = f" (and {len(failed) - 5} more)" if len(failed) > 5 else ""
        report.add(
            "error",
            subject,
            f"{len(failed)} of {n} tables cannot be read: {listed}{more}. "
            "Run `twin recover` to rebuild it from the landing files",
        )
    elif marker.exists():
        report.add(
            "warning",
            subject,
            f"all {n} tables read back whole, but {marker.name} says it was found damaged "
            f"({marker.read_text(encoding='utf-8', errors='replace').strip()}); writes stay "
            "refused until `twin recover`",
        )
    else:
        report.add("ok", subject, f"all {n} tables read back whole (every block's checksum)")


def _check_lake(con: duckdb.DuckDBPyConnection, settings: Settings, report: HomeReport) -> None:
    """Every lake file the manifest names is there, with the bytes its name (a hash) says."""
    from twin_core.ingest.lake import verify

    try:
        checked, bad = verify(con, settings.home)
    except duckdb.CatalogException:
        return  # a warehouse older than the lake (schema before 120): nothing to check
    if not checked:
        return
    if bad:
        listed = "; ".join(bad[:5]) + (f" (and {len(bad) - 5} more)" if len(bad) > 5 else "")
        report.add(
            "error",
            "lake",
            f"{len(bad)} of {checked} lake files are missing or changed: {listed}. Run "
            "`twin recover` to rebuild them from the landing files",
        )
    else:
        report.add("ok", "lake", f"all {checked} lake files present, each matching its hash")


def _check_published(settings: Settings, report: HomeReport) -> None:
    path = settings.published_path
    subject = "plant.duckdb"
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        report.add(
            "warning",
            subject,
            f"{wal.name} sits beside it (a read-write session wrote to the published file); "
            "the next `twin publish` moves it aside",
        )
    if not path.exists():
        report.add("warning", subject, f"{path} does not exist yet (nothing published)")
        return
    if path.is_dir():
        report.add("error", subject, f"{path} is a folder, not a DuckDB file; move it away")
        return
    try:
        con = connect(path, read_only=True, settings=settings)
    except WarehouseError as exc:
        report.add("error", subject, f"{exc}; `twin publish` writes a new one")
        return
    try:
        row = con.execute("select snapshot_id, published_at from meta.publish").fetchone()
        n, failed = unreadable_tables(con)
    except duckdb.Error as exc:
        report.add("error", subject, f"{_first_line(exc)}; `twin publish` writes a new one")
        return
    finally:
        con.close()
    if failed:
        report.add(
            "error",
            subject,
            f"{len(failed)} of {n} tables cannot be read ({failed[0][0]}: {failed[0][1]}); "
            "`twin publish` writes a new one",
        )
    else:
        snap = row[0] if row else None
        when = row[1] if row else None
        report.add("ok", subject, f"opens read-only: snapshot {snap}, published {when}")


def check_home(settings: Settings) -> HomeReport:
    """Check the warehouse, the published file and what sits beside them. Writes nothing."""
    report = HomeReport()
    if not settings.home.is_dir():
        report.add("error", "TWIN_HOME", f"{settings.home} does not exist or is not a folder")
        return report
    _check_warehouse(settings, report)
    _check_published(settings, report)
    leftovers = sorted(settings.home.glob(".*.building*"))
    if leftovers:
        report.add(
            "warning",
            "publish",
            f"{len(leftovers)} half-built publish file(s) ({leftovers[0].name}, ...); the next "
            "publish removes them",
        )
    if not settings.landing_dir.is_dir():
        report.add("warning", "landing", f"{settings.landing_dir} does not exist")
    return report


# --------------------------------------------------------------------------- recovery


@dataclass(frozen=True)
class RecoverResult:
    moved_to: Path | None
    files_before: int  # files the old manifest listed (None readable: 0)
    manifest_read: bool
    reloaded: int  # old manifest files loaded again with the same sha256
    changed: list[str]  # old manifest files whose landing copy now has another hash
    missing: list[str]  # old manifest files no longer in landing
    batch_id: str | None
    files_loaded: int
    rows_loaded: int
    validated: int
    snapshot_days: list[str]  # days the old warehouse had snapshots of (to backfill)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _old_manifest(
    path: Path, settings: Settings
) -> tuple[bool, list[tuple[str, str, str]], list[str]]:
    """(readable, [(source, file, sha256)], snapshot days) of a damaged warehouse, as far as
    it can be read."""
    try:
        con = connect(path, read_only=True, settings=settings)
    except WarehouseError:
        return False, [], []
    try:
        files = [
            (str(s), str(f), str(h))
            for s, f, h in con.execute(
                "select source, file, sha256 from ingest.files where status = 'loaded' "
                "order by source, file"
            ).fetchall()
        ]
    except duckdb.Error:
        con.close()
        return False, [], []
    try:
        days = [
            str(r[0])
            for r in con.execute(
                "select distinct as_of from history.snapshots order by 1"
            ).fetchall()
        ]
    except duckdb.Error:
        days = []
    con.close()
    return True, files, days


def recover(
    settings: Settings,
    *,
    validate: Callable[[Settings], int] | None = None,
    lock_wait_s: float = 0,
) -> RecoverResult:
    """Move the warehouse aside (``warehouse.duckdb.damaged-<UTC time>``, with its WAL and
    marker) and build a new one from every landing file: ingest, then ``validate`` (default:
    every pending batch with Great Expectations). Snapshots are not rebuilt here: the result
    lists the days the old warehouse had, for ``twin backfill``."""
    from twin_core.ingest import ingest_landing

    path = settings.warehouse_path
    with home_lock(settings, "recover", wait_s=lock_wait_s):
        moved_to: Path | None = None
        readable = False
        old_files: list[tuple[str, str, str]] = []
        days: list[str] = []
        if path.exists():
            readable, old_files, days = _old_manifest(path, settings)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            moved_to = path.with_name(f"{path.name}.damaged-{stamp}")
            os.replace(path, moved_to)
            for extra in (path.with_name(path.name + ".wal"), damaged_marker(path)):
                if extra.exists():
                    os.replace(
                        extra, moved_to.with_name(moved_to.name + extra.name[len(path.name) :])
                    )
        damaged_marker(path).unlink(missing_ok=True)
        with open_warehouse(settings):
            pass  # a new warehouse, schema applied
        result = ingest_landing(settings, retry_quarantined=True)
    validated = (validate or _validate_all)(settings)
    reloaded = 0
    changed: list[str] = []
    missing: list[str] = []
    for _source, file, sha in old_files:
        landed = settings.landing_dir / file  # ingest.files.file is relative to landing/
        if not landed.is_file():
            missing.append(file)
        elif _sha256(landed) == sha:
            reloaded += 1
        else:
            changed.append(file)
    return RecoverResult(
        moved_to=moved_to,
        files_before=len(old_files),
        manifest_read=readable,
        reloaded=reloaded,
        changed=changed,
        missing=missing,
        batch_id=result.batch_id,
        files_loaded=result.totals.files_loaded,
        rows_loaded=result.totals.rows_loaded,
        validated=validated,
        snapshot_days=days,
    )


def _validate_all(settings: Settings) -> int:
    from twin_core.validation import validate_pending

    return len(validate_pending(settings))
