"""What an ingest run did: one ``FileResult`` per landing file, gathered in an ``IngestResult``
with its totals and the reconciliation table (rows read = loaded + quarantined, per file)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from twin_core.markdown import md_text

FileStatus = Literal["loaded", "skipped", "quarantined"]

# Reason of a file skipped because this exact content was ingested before under this name.
UNCHANGED = "unchanged"


@dataclass(frozen=True)
class FileResult:
    """The outcome for one landing file. ``status``: loaded (rows_loaded may be 0 for a
    header-only file; some rows may be quarantined), skipped (content already ingested, or
    still being written), quarantined (the whole file, ``reason`` says why)."""

    source: str
    file: str  # relative to landing/
    status: FileStatus
    reason: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    extra_columns: tuple[str, ...] = ()
    missing_optional: tuple[str, ...] = ()
    format: str = ""
    size_bytes: int = 0
    sha256: str = ""
    seconds: float = 0.0
    rule: str | None = None  # whole-file quarantine rule (empty_file, missing_column, ...)
    mtime_ns: int | None = None  # the file's modification time when it was found

    @property
    def reconciles(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_quarantined

    @property
    def noteworthy(self) -> bool:
        """Anything but a file skipped because it is unchanged since an earlier batch."""
        return not (self.status == "skipped" and self.reason == UNCHANGED)


@dataclass(frozen=True)
class Totals:
    files_seen: int
    files_loaded: int
    files_skipped: int
    files_quarantined: int
    rows_read: int
    rows_loaded: int
    rows_quarantined: int


@dataclass
class IngestResult:
    """One ingest run. ``batch_id`` is None when nothing new was found: a re-run on an
    unchanged landing folder writes nothing at all (no batch row either)."""

    batch_id: str | None
    started_at: datetime
    finished_at: datetime | None = None
    files: list[FileResult] = field(default_factory=list)
    unknown_folders: list[str] = field(default_factory=list)

    @property
    def totals(self) -> Totals:
        fs = self.files
        return Totals(
            files_seen=len(fs),
            files_loaded=sum(f.status == "loaded" for f in fs),
            files_skipped=sum(f.status == "skipped" for f in fs),
            files_quarantined=sum(f.status == "quarantined" for f in fs),
            rows_read=sum(f.rows_read for f in fs),
            rows_loaded=sum(f.rows_loaded for f in fs),
            rows_quarantined=sum(f.rows_quarantined for f in fs),
        )

    @property
    def quarantined_anything(self) -> bool:
        t = self.totals
        return t.files_quarantined > 0 or t.rows_quarantined > 0

    @property
    def reconciles(self) -> bool:
        return all(f.reconciles for f in self.files)

    @property
    def schema_drift(self) -> dict[str, tuple[str, ...]]:
        """file -> the columns it carried beyond the contract."""
        return {f.file: f.extra_columns for f in self.files if f.extra_columns}

    def summary(self) -> str:
        """One line: what was loaded and what was quarantined."""
        t = self.totals
        if self.batch_id is None:
            return f"nothing new: {t.files_seen} files unchanged since earlier batches"
        text = (
            f"batch {self.batch_id}: {t.files_loaded} files loaded, {t.rows_loaded:,} rows"
            f" ({t.files_skipped} files unchanged)"
        )
        if self.quarantined_anything:
            text += (
                f"; quarantined {t.rows_quarantined:,} rows and {t.files_quarantined} whole files"
            )
        return text

    def to_markdown(self) -> str:
        """The reconciliation table: one row per file this run read (unchanged files are
        counted, not listed), then the totals."""
        t = self.totals
        lines = [
            f"# Ingest {self.batch_id or '(nothing new)'}",
            "",
            self.summary() + ".",
            "",
            "| source | file | status | rows read | loaded | quarantined | reconciles | extra columns | reason |",
            "|---|---|---|---:|---:|---:|:-:|---|---|",
        ]
        for f in self.files:
            if not f.noteworthy:
                continue
            # File names, header names and reasons (which quote values) come from extracts.
            lines.append(
                f"| {f.source} | {md_text(f.file)} | {f.status} | {f.rows_read:,} "
                f"| {f.rows_loaded:,} | {f.rows_quarantined:,} "
                f"| {'yes' if f.reconciles else '**NO**'} "
                f"| {md_text(', '.join(f.extra_columns))} | {md_text(f.reason or '')} |"
            )
        lines.append(
            f"| **total** | {t.files_seen} files ({t.files_skipped} unchanged) | | "
            f"{t.rows_read:,} | {t.rows_loaded:,} | {t.rows_quarantined:,} | "
            f"{'yes' if self.reconciles else '**NO**'} | | |"
        )
        if self.unknown_folders:
            lines += [
                "",
                "Folders in landing/ that are no source (not read): "
                + ", ".join(md_text(d) for d in self.unknown_folders),
            ]
        return "\n".join(lines) + "\n"
