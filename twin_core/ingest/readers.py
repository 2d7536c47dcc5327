"""Readers by format: how DuckDB reads a landing file, and which columns it has.

``probe`` looks at a file's columns without reading its rows (the CSV header, the Parquet
schema, the JSON keys) and returns a ``Relation``: SQL that yields ``_row`` (1-based data
row number) plus one accessor expression per file column. CSV and JSON values arrive as
text (the cast to the contract happens in ``load``); Parquet keeps its own types.

File paths and column names from files only ever enter SQL as bound parameters; the
identifiers in the generated SQL are ``c0..cN`` and ``a0..aN``, made here.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import duckdb
import zstandard

from twin_core.ingest.discover import LandingFile

# First bytes that name an encoding other than UTF-8.
_FOREIGN_BOMS = {
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
    codecs.BOM_UTF32_LE: "UTF-32",
    codecs.BOM_UTF32_BE: "UTF-32",
}
_PEEK = 4096
# DuckDB's own maximum line size: a header line longer than this is no header.
_MAX_HEADER = 2_000_000


class FileRejected(Exception):
    """The whole file goes to quarantine: ``rule`` names why (empty_file, wrong_encoding,
    unparseable_file, unsupported_format, ...), the message says it for a person."""

    def __init__(self, rule: str, reason: str, columns: list[str] | None = None) -> None:
        super().__init__(reason)
        self.rule = rule
        self.reason = reason
        self.columns = columns


@dataclass(frozen=True)
class Relation:
    """A file as SQL: ``sql`` yields ``_row`` plus the columns ``accessors`` refer to."""

    columns: tuple[str, ...]  # file column names, in file order
    types: tuple[str, ...]  # DuckDB type each accessor yields
    accessors: tuple[str, ...]  # SQL expression over ``sql``'s columns, per file column
    sql: str
    params: dict[str, object] = field(default_factory=dict)
    # SQL boolean: the row is no record at all (JSON lines that are not objects)
    not_a_record: str | None = None
    # The column holding each row's JSON object (JSON formats): it is the row as read, and
    # what remains of it without the contract's keys is its extra columns.
    json_column: str | None = None


def _open_text_bytes(path: Path) -> IO[bytes]:
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.GzipFile(path, "rb")  # type: ignore[return-value]  # a binary IO
    if name.endswith(".zst"):
        # Decompressed like .gz: the checks below look at the text, not the zstd frame
        # (whose bytes held NULs, so every .zst extract was quarantined as "not UTF-8").
        # Buffered: the reader has no readline of its own.
        return io.BufferedReader(zstandard.open(path, "rb"))  # type: ignore[arg-type]
    return path.open("rb")


# What a damaged compressed stream raises while it is read.
_STREAM_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error, zstandard.ZstdError)


def _stream_reason(path: Path, exc: BaseException) -> str:
    kind = "zstd" if path.name.lower().endswith(".zst") else "gzip"
    return f"not a valid {kind} file: {exc}"


def _check_zstd(path: Path) -> None:
    """A .zst file read to its end: every frame complete and no NUL byte in the text. DuckDB
    reads a zstd stream cut at a line boundary as if complete, and the landing scan looks
    into gzip text only (for .gz the scan finds both)."""
    offset, lines = 0, 0
    d = zstandard.ZstdDecompressor().decompressobj()
    ended = False  # the last frame begun is complete
    with path.open("rb") as raw:
        while chunk := raw.read(1 << 20):
            while chunk:
                try:
                    text = d.decompress(chunk)
                except zstandard.ZstdError as exc:
                    raise FileRejected(
                        "unparseable_file",
                        f"not a valid zstd file: {exc} (after {offset:,} bytes of text)",
                    ) from None
                if (nul := text.find(b"\x00")) >= 0:
                    at = lines + text.count(b"\n", 0, nul) + 1
                    raise FileRejected(
                        "wrong_encoding", f"the file contains a NUL byte at line {at}: not text"
                    )
                offset += len(text)
                lines += text.count(b"\n")
                if d.eof:  # a frame ends; another may follow (zstd -c a b > c)
                    chunk, ended = d.unused_data, True
                    d = zstandard.ZstdDecompressor().decompressobj()
                else:
                    chunk, ended = b"", False
    if not ended:
        raise FileRejected(
            "unparseable_file",
            f"the zstd stream ends after {offset:,} bytes of text, before its frame is "
            "complete: the file is cut short (copied or written only in part?)",
        )


def _check_text_start(f: LandingFile) -> None:
    """Empty files and foreign encodings, from the first bytes (the rest is DuckDB's)."""
    if f.size_bytes == 0:
        raise FileRejected("empty_file", "the file is empty (0 bytes)")
    if f.path.name.lower().endswith(".zst"):
        _check_zstd(f.path)
    try:
        with _open_text_bytes(f.path) as fh:
            head = fh.read(_PEEK)
    except _STREAM_ERRORS as exc:
        raise FileRejected("unparseable_file", _stream_reason(f.path, exc)) from None
    for bom, name in _FOREIGN_BOMS.items():
        if head.startswith(bom):
            raise FileRejected(
                "wrong_encoding", f"the file is {name}, not UTF-8; export it as UTF-8"
            )
    if b"\x00" in head:
        raise FileRejected(
            "wrong_encoding",
            "the file contains NUL bytes: not UTF-8 text (UTF-16 without a byte order mark?)",
        )
    if not head.strip():
        raise FileRejected("empty_file", "the file holds only blank lines")


def _csv_header(f: LandingFile) -> list[str]:
    _check_text_start(f)
    try:
        with _open_text_bytes(f.path) as raw:
            # The first line only: a bad byte further down is DuckDB's to find, and it names
            # the line (decoding a buffer here would blame the header for row 61's byte).
            first = raw.readline(_MAX_HEADER)
        text = first.decode("utf-8-sig")
        header = next(csv.reader(io.StringIO(text, newline=""), strict=True), None)
    except _STREAM_ERRORS as exc:
        raise FileRejected("unparseable_file", _stream_reason(f.path, exc)) from None
    except UnicodeDecodeError as exc:
        raise FileRejected(
            "wrong_encoding", f"not UTF-8 in the header (line 1, byte {exc.start}): {exc.reason}"
        ) from None
    except csv.Error as exc:
        raise FileRejected("unparseable_file", f"cannot read the CSV header: {exc}") from None
    if not header:
        raise FileRejected("empty_file", "the file has no header row")
    return header


def probe(con: duckdb.DuckDBPyConnection, f: LandingFile) -> Relation:
    """The columns of ``f`` and the SQL that reads it; ``FileRejected`` when it cannot be."""
    if f.format == "unsupported":
        raise FileRejected(
            "unsupported_format",
            f"unknown extension of {f.path.name!r}: extracts are .csv, .parquet, .jsonl/.ndjson "
            "or .json (optionally .gz)",
        )
    if f.format == "csv":
        return _probe_csv(f)
    if f.format == "parquet":
        return _probe_parquet(con, f)
    return _probe_json(con, f)


def _probe_csv(f: LandingFile) -> Relation:
    columns = tuple(_csv_header(f))
    n = len(columns)
    col_types = {f"c{i}": "VARCHAR" for i in range(n)}
    # No sniffing: the contract fixes the dialect, and a sniffer guessing on a ragged
    # file can pick a data row as the header and read nothing, silently.
    sql = (
        "select row_number() over () as _row, * from read_csv($path, auto_detect=false, "
        "header=true, delim=',', quote='\"', escape='\"', strict_mode=true, columns=$columns)"
    )
    return Relation(
        columns=columns,
        types=("VARCHAR",) * n,
        accessors=tuple(f"c{i}" for i in range(n)),
        sql=sql,
        params={"path": str(f.path), "columns": col_types},
    )


def _probe_parquet(con: duckdb.DuckDBPyConnection, f: LandingFile) -> Relation:
    if f.size_bytes == 0:
        raise FileRejected("empty_file", "the file is empty (0 bytes)")
    described = con.execute(
        "describe select * from read_parquet($path)", {"path": str(f.path)}
    ).fetchall()
    columns = tuple(str(r[0]) for r in described)
    types = tuple(str(r[1]) for r in described)
    aliases = ", ".join([f"c{i}" for i in range(len(columns))] + ["_frn"])
    sql = (
        f"select _frn + 1 as _row, * exclude (_frn) from "
        f"read_parquet($path, file_row_number=true) as t({aliases})"
    )
    return Relation(
        columns=columns,
        types=types,
        accessors=tuple(f"c{i}" for i in range(len(columns))),
        sql=sql,
        params={"path": str(f.path)},
    )


def _probe_json(con: duckdb.DuckDBPyConnection, f: LandingFile) -> Relation:
    _check_text_start(f)
    fmt = "newline_delimited" if f.format == "jsonl" else "auto"
    read = "read_json_objects($path, format=$format)"
    params: dict[str, object] = {"path": str(f.path), "format": fmt}
    # A column is a key some row has; one pass over the file, in DuckDB.
    keys = con.execute(
        f"select k from (select row_number() over () as r, unnest(json_keys(json)) as k "
        f"from {read} where json_type(json) = 'OBJECT') group by k order by min(r), k",
        params,
    ).fetchall()
    columns = tuple(str(r[0]) for r in keys)
    accessors = []
    for i, name in enumerate(columns):
        params[f"k{i}"] = name
        accessors.append(f"(_json ->> $k{i})")
    sql = f"select row_number() over () as _row, json as _json from {read}"
    return Relation(
        columns=columns,
        types=("VARCHAR",) * len(columns),
        accessors=tuple(accessors),
        sql=sql,
        params=params,
        not_a_record="coalesce(json_type(_json) <> 'OBJECT', true)",
        json_column="_json",
    )


def classify_duckdb_error(exc: duckdb.Error, name: str | None = None) -> FileRejected | None:
    """A DuckDB error about the file's content becomes a whole-file rejection (its reason
    naming the file ``name`` if DuckDB's message does not); anything else is None: the file
    may still be at fault (``read_alone`` tells), or the warehouse is."""
    if not isinstance(exc, duckdb.InvalidInputException | duckdb.ConversionException):
        return None
    return _rejection(str(exc), name=name)


def read_alone(f: LandingFile) -> FileRejected | None:
    """Read ``f`` to its end in a private in-memory DuckDB, writing nothing: the rejection
    naming the file when that fails (a cut gzip stream, a damaged Parquet page: any error),
    None when the file reads (then an error the load raised was not the file's: a full disk,
    a damaged warehouse, our own SQL). Called only after a load failed."""
    try:
        with duckdb.connect(":memory:") as con:
            rel = probe(con, f)
            con.execute(f"select count(*) from ({rel.sql})", rel.params).fetchall()
    except FileRejected as rej:
        return rej
    except FileNotFoundError:
        return None  # gone since it was found: the load's own error says so
    except duckdb.Error as exc:
        return _rejection(str(exc), name=f.rel)
    except (OSError, EOFError, zlib.error, zstandard.ZstdError, ValueError) as exc:
        return _rejection(f"{type(exc).__name__}: {exc}", name=f.rel)
    return None


def _rejection(text: str, name: str | None = None) -> FileRejected:
    """The rejection for an error DuckDB (or a decoder) raised on a file's content."""
    # DuckDB quotes the whole offending line: a 30 MB line would push the cause (the part a
    # person needs, e.g. "Maximum line size ... exceeded") out of the 500 characters kept.
    message = re.sub(r"(Original Line: [^\n]{0,40})[^\n]*", r"\1...", text)
    for cut in ("Possible fix", "Possible Solution", "\nLINE "):
        message = message.split(cut)[0]
    message = " ".join(message.replace("Invalid Input Error:", "").split())[:500]
    if name is not None and name not in message:
        # DuckDB names the file of some errors, not of others (a damaged Parquet page).
        message = f"{name}: {message}"
    # DuckDB quotes the offending line: bytes that are not text must not reach the reason.
    message = "".join(ch if ch.isprintable() else "?" for ch in message)
    lowered = message.lower()
    if "unicode" in lowered or "utf-8" in lowered or "utf8" in lowered:
        return FileRejected("wrong_encoding", f"not UTF-8: {message}")
    return FileRejected("unparseable_file", f"cannot be parsed: {message}")
