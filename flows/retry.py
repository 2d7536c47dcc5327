"""The retry condition of every Prefect task that retries: ``twin_core.errors.is_transient``
on the task's exception (one predicate for the nightly's stages and the ingest flow's tasks)."""

from __future__ import annotations

from typing import Any

from twin_core.errors import is_transient

__all__ = ["is_transient", "retry_if_transient"]


def retry_if_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect's ``retry_condition_fn``: retry only transient errors (``is_transient``)."""
    try:
        exc = state.result(raise_on_failure=False)
    except Exception:
        return False
    return is_transient(exc)
