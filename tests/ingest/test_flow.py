"""The ``ingest`` Prefect flow: one task per source, a reconciliation artifact, and a final
state that shows quarantined input (strict mode fails the run after loading the good rows)."""

from __future__ import annotations

import errno
import re
from typing import Any
from uuid import UUID

import duckdb
import pytest
from prefect import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterId,
)
from prefect.states import Failed
from pydantic import ValidationError

from flows.ingest import IngestParams, ingest, source_task
from flows.retry import retry_if_transient
from tests.ingest.conftest import drop, machines_csv, rows
from twin_core.errors import WarehouseError, WarehouseLocked
from twin_core.settings import Settings

GOOD = machines_csv("M1,L1,S1,Press,press,1,2.5")
DIRTY = machines_csv("M1,L1,S1,Press,press,1,2.5", "M2,L1,S1,Oven,oven,first,3")


def _artifact(flow_run_id: UUID | None) -> str:
    assert flow_run_id is not None
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    (artifact,) = [a for a in found if a.key == "ingest-reconciliation"]
    return str(artifact.data)


def _task_names(flow_run_id: UUID | None) -> list[str]:
    assert flow_run_id is not None
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    # Prefect suffixes a task run's name with 3 hex digits unless the name is templated.
    return sorted(re.sub(r"-[0-9a-f]{3}$", "", r.name) for r in runs)


def test_clean_landing_completes_with_a_reconciliation_artifact(
    prefect_api: None, home: Settings
) -> None:
    """Nothing quarantined: Completed, one task per source with files, and the artifact table."""
    drop(home, "machines", "m.csv", GOOD)
    drop(home, "suppliers", "s.csv", "supplier_id,name\nSUP1,Acme\n")
    state = ingest(return_state=True)
    assert (state.type.value, state.name) == ("COMPLETED", "Completed")
    assert "| machines | machines/m.csv | loaded | 1 | 1 | 0 | yes |" in _artifact(
        state.state_details.flow_run_id
    )
    names = _task_names(state.state_details.flow_run_id)
    assert names == ["finish-ingest", "ingest-machines", "ingest-suppliers", "start-ingest"]


def test_quarantined_input_shows_in_the_final_state(prefect_api: None, home: Settings) -> None:
    """A quarantined row: the run completes, named 'Completed with quarantine', with counts."""
    drop(home, "machines", "m.csv", DIRTY)
    state = ingest(return_state=True)
    assert (state.type.value, state.name) == ("COMPLETED", "Completed with quarantine")
    assert state.message is not None and "quarantined 1 rows" in state.message


def test_strict_mode_fails_the_run_after_loading_the_good_rows(
    prefect_api: None, home: Settings
) -> None:
    """strict: the run fails, and the good row is in raw anyway."""
    drop(home, "machines", "m.csv", DIRTY)
    state = ingest(strict=True, return_state=True)
    assert state.type.value == "FAILED"
    assert state.message is not None and "strict" in state.message
    assert rows(home, "select machine_id from raw.machines") == [("M1",)]


def test_strict_setting_applies_when_the_parameter_is_not_given(
    prefect_api: None, home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TWIN_STRICT_INGEST=true makes a run with quarantine fail."""
    monkeypatch.setenv("TWIN_STRICT_INGEST", "true")
    drop(home, "machines", "m.csv", DIRTY)
    assert ingest(return_state=True).type.value == "FAILED"


@pytest.mark.parametrize(
    "bad",
    [{"sources": ["machine"]}, {"source": ["machines"]}, {"lock_wait_s": -1}],
)
def test_parameters_are_validated(bad: dict[str, Any]) -> None:
    """An unknown source, an unknown field or an out-of-range wait is refused."""
    with pytest.raises(ValidationError):
        IngestParams.model_validate(bad)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (OSError("stale NFS handle"), True),
        (OSError(errno.ESTALE, "stale NFS handle"), True),
        (duckdb.IOException("could not read file"), True),
        (WarehouseLocked("warehouse.duckdb is locked by another process"), True),
        (WarehouseError("warehouse.duckdb is damaged"), False),
        (FileNotFoundError(errno.ENOENT, "landing/machines/m.csv"), False),
        (ValueError("a bug"), False),
    ],
)
def test_only_io_errors_are_retried(error: Exception, expected: bool) -> None:
    """A task is retried after transient I/O errors and a locked warehouse, not after other
    errors (the ingest flow's tasks and the nightly's stages share flows.retry's predicate)."""
    state = Failed(data=error)
    assert retry_if_transient(source_task, None, state) is expected


def test_a_failing_source_fails_the_run_but_not_the_other_sources(
    prefect_api: None, home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that cannot be read (a dangling link) fails its source after the retries; the
    other sources load and the run ends Failed, naming the source."""
    monkeypatch.setattr(source_task, "retry_delay_seconds", 0)
    (home.landing_dir / "machines").mkdir()
    (home.landing_dir / "machines" / "m.csv").symlink_to(home.home / "gone.csv")
    drop(home, "suppliers", "s.csv", "supplier_id,name\nSUP1,Acme\n")
    state = ingest(return_state=True)
    assert state.type.value == "FAILED"
    assert state.message is not None and "machines" in state.message
    assert rows(home, "select supplier_id from raw.suppliers") == [("SUP1",)]
    assert rows(home, "select status, files_ingested from ingest.batches") == [("completed", 1)]
