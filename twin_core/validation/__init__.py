"""Validation: Great Expectations suites built from the contracts, run in DuckDB; failing rows
to ``quality.quarantine``, the rest promoted from ``raw.<source>`` to ``core.<source>``.

Grain: one ``BatchValidation`` per ingest batch validated (``quality.validation_sources`` one
row per source, ``quality.validation_runs`` one row per expectation). Entry points:
``validate_pending(settings, as_of=None)`` and ``validate_batch(settings, batch_id, as_of=None)``.
"""

from twin_core.validation.facts import BatchNotReady
from twin_core.validation.pipeline import validate_batch, validate_pending
from twin_core.validation.results import (
    BatchValidation,
    ExpectationOutcome,
    SourceResult,
    ValidationError,
)

__all__ = [
    "BatchNotReady",
    "BatchValidation",
    "ExpectationOutcome",
    "SourceResult",
    "ValidationError",
    "validate_batch",
    "validate_pending",
]
