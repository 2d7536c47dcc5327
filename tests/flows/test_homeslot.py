"""One run per TWIN_HOME through a Prefect global concurrency limit, on the real local API."""

from __future__ import annotations

from datetime import date

import pytest
from prefect import flow, get_client
from prefect.concurrency.sync import concurrency

from flows._homeslot import ensure_limit, home_slot, limit_name
from flows.nightly import nightly
from tests.test_runlock import _hold_in_other_process
from twin_core.runlock import LockBusy, home_lock
from twin_core.settings import Settings


def _active_slots(name: str) -> int:
    with get_client(sync_client=True) as client:
        return client.read_global_concurrency_limit_by_name(name).active_slots


@flow
def _probe(home: str) -> tuple[int, int]:
    """Inside the slot: the limit's size and its taken slots."""
    from prefect import get_run_logger

    settings = Settings(home=home)
    with home_slot(settings, "probe", wait_s=0, logger=get_run_logger()):
        name = limit_name(settings.home)
        with get_client(sync_client=True) as client:
            limit = client.read_global_concurrency_limit_by_name(name)
        # Re-entrant in the same process: a nested holder passes through.
        with home_slot(settings, "nested", wait_s=0, logger=get_run_logger()):
            pass
        return limit.limit, limit.active_slots


def test_a_run_holds_the_homes_limit_of_one_slot(prefect_api: None, settings: Settings) -> None:
    """The run creates the home's limit (1 slot), holds it while it works, frees it after."""
    size, taken = _probe(str(settings.home))
    assert (size, taken) == (1, 1)
    assert _active_slots(limit_name(settings.home)) == 0
    with home_lock(settings, "after", wait_s=0):  # the file lock was released too
        pass


def test_a_nightly_refuses_while_another_holds_the_slot(
    prefect_api: None, settings: Settings
) -> None:
    """A live holder of the Prefect limit (seen by the API, e.g. a run on a worker; it holds
    the home's file lock too) keeps a nightly that may not wait from starting: it fails at
    once, naming the limit, having written nothing."""
    name = limit_name(settings.home)
    ensure_limit(name)
    settings.home.mkdir(parents=True, exist_ok=True)
    holder = _hold_in_other_process(settings.home, 60)
    try:
        with concurrency(name, occupy=1, strict=True):
            assert _active_slots(name) == 1
            with pytest.raises(LockBusy, match="concurrency limit 'twin-home-"):
                nightly(as_of=date(2026, 1, 5), lock_wait_s=0)
    finally:
        holder.kill()
        holder.wait()
    assert not settings.published_path.exists()
    assert not settings.warehouse_path.exists()


def test_a_dead_runs_slot_is_taken_over(prefect_api: None, settings: Settings) -> None:
    """A run killed while it held the slot leaves its lease behind (until it lapses after
    300 s) but not the file lock: the next run finds the lock free, recreates the limit and
    runs at once, holding the only slot; the dead lease then frees nothing of it."""
    name = limit_name(settings.home)
    ensure_limit(name)
    with get_client(sync_client=True) as client:  # a slot taken and never released
        client.increment_concurrency_slots_with_lease(
            names=[name], slots=1, mode="concurrency", lease_duration=300
        )
    assert _active_slots(name) == 1
    settings.home.mkdir(parents=True, exist_ok=True)
    assert _probe(str(settings.home)) == (1, 1)
    assert _active_slots(name) == 0


def test_each_home_has_its_own_limit(tmp_path: object) -> None:
    """Two homes, two limits; the same home named twice, one limit."""
    from pathlib import Path

    base = Path(str(tmp_path))
    assert limit_name(base / "a") != limit_name(base / "b")
    assert limit_name(base / "a") == limit_name(base / "x" / ".." / "a")
    assert limit_name(base / "a").startswith("twin-home-a-")
