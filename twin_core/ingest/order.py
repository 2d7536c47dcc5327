"""What "later" means when two raw rows carry the same contract key.

Raw is append-only by batch; the validation stage promotes raw rows into core by key, and
the later row wins. Later is, in this order: the later load (``_ingested_at``: every file
gets its own, strictly increasing across files and runs), then the later file path
(``_file``; files of one run load in path order, so this only breaks ties that cannot
happen), then the later data row in the file (``_row``). A correction sent in a later file
therefore replaces the earlier row, and within a file the last row of a key wins.
"""

from __future__ import annotations

from twin_core.contracts import get_source
from twin_core.warehouse import quote_ident

LATEST_WINS_COLUMNS: tuple[str, ...] = ("_ingested_at", "_file", "_row")


def latest_wins_order_by(*, descending: bool = False) -> str:
    """The ``order by`` list that sorts raw rows from earliest to latest (or the reverse).

    >>> latest_wins_order_by()
    '_ingested_at, _file, _row'
    """
    suffix = " desc" if descending else ""
    return ", ".join(f"{c}{suffix}" for c in LATEST_WINS_COLUMNS)


def latest_per_key_sql(source: str, relation: str | None = None) -> str:
    """SQL selecting the latest row per contract key of ``source`` from ``relation``
    (default ``raw.<source>``; pass e.g. a subquery filtering batches, with its own
    parameters). Rows whose key has a null are kept each on their own: validation
    quarantines them."""
    contract = get_source(source)
    rel = relation or f"raw.{quote_ident(contract.name)}"
    key = ", ".join(quote_ident(k) for k in contract.key)
    return (
        f"select * from {rel} qualify row_number() over "
        f"(partition by {key} order by {latest_wins_order_by(descending=True)}) = 1"
    )
