"""Ingest: landing extracts into ``raw.<source>``, with a manifest and a quarantine.

Grain: ``raw.<source>`` one row per data row of a landing file that cast to the contract
(provenance ``_batch_id, _file, _row, _ingested_at``, extra columns in ``_extra``);
``quality.quarantine`` one row per row that did not, or per file rejected whole;
``ingest.files`` one row per version (content hash) of a landing file; ``ingest.batches``
one row per run that found something new.

    from twin_core.ingest import ingest_landing
    result = ingest_landing(settings, sources=["machines"])
    print(result.to_markdown())
"""

from __future__ import annotations

from twin_core.ingest.errors import IngestError
from twin_core.ingest.mapping import ColumnMapping, MappingError, load_mapping, mappings_dir
from twin_core.ingest.order import LATEST_WINS_COLUMNS, latest_per_key_sql, latest_wins_order_by
from twin_core.ingest.reconcile import reconciliation
from twin_core.ingest.result import FileResult, FileStatus, IngestResult, Totals
from twin_core.ingest.run import (
    IngestPlan,
    finish_ingest,
    ingest_landing,
    ingest_source,
    plan_ingest,
    start_ingest,
)

__all__ = [
    "LATEST_WINS_COLUMNS",
    "ColumnMapping",
    "FileResult",
    "FileStatus",
    "IngestError",
    "IngestPlan",
    "IngestResult",
    "MappingError",
    "Totals",
    "finish_ingest",
    "ingest_landing",
    "ingest_source",
    "latest_per_key_sql",
    "latest_wins_order_by",
    "load_mapping",
    "mappings_dir",
    "plan_ingest",
    "reconciliation",
    "start_ingest",
]
