"""Safe text for files people open in other tools: JSON-ready values and spreadsheet-safe CSV.

Shared by the CLI (``twin query --format csv``) and the reports (``instructions.csv``).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

__all__ = ["csv_cell", "csv_text", "jsonable"]

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def jsonable(v: Any) -> Any:
    """A value JSON can carry: dates as ISO text, decimals as floats, NaN/inf as null."""
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def csv_cell(v: Any) -> str:
    """CSV-safe text: values starting with = + - @ are prefixed with a quote so a
    spreadsheet shows them instead of running them (numbers stay numbers)."""
    if v is None:
        return ""
    if isinstance(v, int | float | Decimal):
        return str(v)
    text = str(jsonable(v))
    if text[:1] in _FORMULA_START:
        return "'" + text
    return text


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A whole CSV document (header row, ``\\n`` line ends) with every cell made safe."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([csv_cell(c) for c in columns])
    w.writerows([[csv_cell(v) for v in r] for r in rows])
    return buf.getvalue()
