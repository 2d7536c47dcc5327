"""Landing discovery: one ``LandingFile`` per file found under ``landing/<source>/``.

A file's format comes from its extension. Its fingerprint is the SHA-256 of its bytes
and its size; the manifest (``ingest.files``) keys versions of a file by it. Files are
never moved or deleted. ``scan_file`` reads a file once for its hash and, for text formats,
for the NUL bytes and the missing last newline that mark a damaged or half-written file.
"""

from __future__ import annotations

import hashlib
import os
import stat
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from twin_core.contracts import SOURCES

Format = Literal["csv", "parquet", "jsonl", "json", "unsupported"]

# Extension -> format. Compressed CSV/JSON is decompressed by DuckDB itself.
_EXTENSIONS: dict[str, Format] = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".csv.zst": "csv",
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".jsonl.gz": "jsonl",
    ".ndjson.gz": "jsonl",
    ".json": "json",
    ".json.gz": "json",
}

# Files an upstream system is still writing, or markers that are not extracts.
_IN_PROGRESS_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".filepart", "~")

_CHUNK = 1 << 20


@dataclass(frozen=True)
class LandingFile:
    """A file in a source's landing folder, with the stat taken when it was found."""

    source: str
    path: Path
    rel: str  # path relative to landing/, with forward slashes: "machines/2026-01-01.csv"
    format: Format
    size_bytes: int
    mtime_ns: int

    def refusal(self) -> tuple[str, str] | None:
        """(rule, reason) when the file must not be read at all, decided before a byte of it
        is: a symbolic link leading out of landing/ (it would publish whatever it points at),
        or anything but a regular file (a named pipe blocks its reader forever, a device never
        ends). None: read it (a dangling link raises its real error when read)."""
        root = self.path.parents[len(self.rel.split("/")) - 1]
        try:
            target = self.path.resolve(strict=True)
            mode = target.stat().st_mode
            inside = target.is_relative_to(root.resolve(strict=True))
        except (OSError, RuntimeError):
            return None
        if not inside:
            return (
                "outside_landing",
                f"a symbolic link to {target}, outside the landing folder: not read (put the "
                "file itself into landing/)",
            )
        if stat.S_ISDIR(mode):
            return ("not_a_file", "a symbolic link to a folder: not followed, nothing in it read")
        if not stat.S_ISREG(mode):
            return (
                "not_a_file",
                "not a regular file (a named pipe, device or socket): not read",
            )
        return None

    def changed_since_found(self) -> bool:
        """True when the file's size or modification time moved since discovery (an upstream
        writer is still at it)."""
        st = self.path.stat()
        return st.st_size != self.size_bytes or st.st_mtime_ns != self.mtime_ns


def file_format(name: str) -> Format:
    """The extract format a file name announces (``unsupported`` when none)."""
    lower = name.lower()
    for ext in sorted(_EXTENSIONS, key=len, reverse=True):
        if lower.endswith(ext):
            return _EXTENSIONS[ext]
    return "unsupported"


def _ignored(name: str) -> bool:
    # Hidden files, Spark/Hadoop markers (_SUCCESS, _metadata) and files being written.
    return name.startswith((".", "_")) or name.lower().endswith(_IN_PROGRESS_SUFFIXES)


def discover(landing: Path, sources: Sequence[str]) -> list[LandingFile]:
    """Every file of the given sources, in source order then path order.

    Within a source, path order is the order files are loaded, which decides which row is
    "later" when two files carry the same key: name extracts so that they sort in delivery
    order (ISO dates or timestamps in the name).
    """
    found: list[LandingFile] = []
    for source in sources:
        folder = landing / source
        if not folder.is_dir():
            continue
        files: list[LandingFile] = []
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if not _ignored(d))
            # os.walk does not follow a link to a folder; list it, so it is refused with a
            # reason instead of silently skipped.
            links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
            for name in [*filenames, *links]:
                if _ignored(name):
                    continue
                path = Path(dirpath) / name
                try:
                    st = path.stat()
                    size, mtime = st.st_size, st.st_mtime_ns
                except OSError:
                    # Listed anyway (a dangling link, a file gone): reading it raises the real
                    # error in its own source's step, which retries it.
                    size, mtime = -1, -1
                files.append(
                    LandingFile(
                        source=source,
                        path=path,
                        rel=path.relative_to(landing).as_posix(),
                        format=file_format(name),
                        size_bytes=size,
                        mtime_ns=mtime,
                    )
                )
        found.extend(sorted(files, key=lambda f: f.rel))
    return found


def unknown_folders(landing: Path) -> list[str]:
    """Folders under landing/ that are no contract source (a typo loses no file silently)."""
    if not landing.is_dir():
        return []
    return sorted(
        p.name
        for p in landing.iterdir()
        if p.is_dir() and not _ignored(p.name) and p.name not in SOURCES
    )


@dataclass(frozen=True)
class FileScan:
    """What one pass over a file's bytes found (text formats: of its decompressed text)."""

    sha256: str
    # 1-based line and 0-based byte offset (of the text) of the first NUL byte, if any
    nul_line: int | None = None
    nul_offset: int | None = None
    # The text does not end in a newline: its last line may have been cut while written.
    # None: not a line format (CSV, JSON lines), or not looked at (.zst).
    ends_without_newline: bool | None = None
    damaged: str | None = None  # why the (gzip) text could not be read to its end


def scan_file(path: Path, fmt: Format) -> FileScan:
    """The SHA-256 of the file's bytes and, for CSV and JSON (gzip too), where its text has a
    NUL byte and whether its last line ends in a newline: the whole file, in 1 MiB chunks
    (hashlib and zlib release the GIL, so this runs beside DuckDB's read). ``.zst`` text is
    hashed only (the standard library has no zstd before Python 3.14). A gzip stream that
    is broken or cut short is named in ``damaged`` (the hash still covers every byte)."""
    text = fmt in ("csv", "jsonl", "json") and not path.name.lower().endswith(".zst")
    gz = text and path.name.lower().endswith(".gz")
    h = hashlib.sha256()
    inflate = zlib.decompressobj(wbits=31) if gz else None  # 31: gzip header and trailer
    nul_line = nul_offset = None
    lines, offset, last = 1, 0, b""

    def look(data: bytes) -> None:
        nonlocal nul_line, nul_offset, lines, offset, last
        if not data:
            return
        if nul_line is None:
            at = data.find(b"\x00")
            if at >= 0:
                nul_line, nul_offset = lines + data.count(b"\n", 0, at), offset + at
            else:
                lines += data.count(b"\n")
        offset += len(data)
        last = data[-1:]

    damaged = None
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            if inflate is not None and damaged is None:
                try:
                    look(inflate.decompress(chunk))
                    # Concatenated gzip members (gzip -c a b > c): go on with the next one.
                    while inflate.eof and inflate.unused_data:
                        rest = inflate.unused_data
                        inflate = zlib.decompressobj(wbits=31)
                        look(inflate.decompress(rest))
                except zlib.error as exc:
                    damaged = f"not a valid gzip file: {exc} (after {offset:,} bytes of text)"
            elif text and inflate is None:
                look(chunk)
    if inflate is not None and damaged is None:
        look(inflate.flush())
        if not inflate.eof:
            damaged = (
                f"the gzip stream ends after {offset:,} bytes of text, before its end marker "
                "(a truncated file?)"
            )
    return FileScan(
        sha256=h.hexdigest(),
        nul_line=nul_line,
        nul_offset=nul_offset,
        # A JSON document (array) cut anywhere does not parse: only line formats are asked.
        ends_without_newline=(
            (offset > 0 and last not in (b"\n", b"\r")) if text and fmt != "json" else None
        ),
        damaged=damaged,
    )
