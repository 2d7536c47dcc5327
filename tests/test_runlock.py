"""The TWIN_HOME write lock: one writing run at a time, a clear message for the one that waits."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from twin_core.runlock import LockBusy, home_lock, lock_path
from twin_core.settings import Settings
from twin_core.warehouse import WarehouseError


def _hold_in_other_process(home: Path, seconds: float) -> subprocess.Popen[str]:
    """Start a process that takes the lock as 'nightly 2026-01-05' and holds it."""
    code = textwrap.dedent(
        f"""
        import sys, time
        from twin_core.runlock import home_lock
        from twin_core.settings import Settings
        with home_lock(Settings(home={str(home)!r}), "nightly 2026-01-05"):
            print("held", flush=True)
            time.sleep({seconds})
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_process_is_refused_with_the_holder_named(settings: Settings) -> None:
    """While another process holds the lock, taking it fails and says who holds it."""
    proc = _hold_in_other_process(settings.home, 30)
    try:
        with (
            pytest.raises(LockBusy, match=r"nightly 2026-01-05 \(pid \d+"),
            home_lock(settings, "scenario", wait_s=0),
        ):
            pass
    finally:
        proc.kill()
        proc.wait()


def test_a_waiting_run_gets_the_lock_when_the_holder_finishes(settings: Settings) -> None:
    """A run that may wait takes the lock as soon as the holder releases it."""
    proc = _hold_in_other_process(settings.home, 1.0)
    started = time.monotonic()
    try:
        with home_lock(settings, "nightly 2026-01-06", wait_s=30, poll_s=0.1):
            waited = time.monotonic() - started
    finally:
        proc.wait()
    assert 0.3 < waited < 30


def test_a_killed_holder_leaves_no_stale_lock(settings: Settings) -> None:
    """The kernel drops the lock of a process that dies; the next run proceeds at once."""
    proc = _hold_in_other_process(settings.home, 60)
    proc.kill()
    proc.wait()
    with home_lock(settings, "nightly", wait_s=0):
        assert lock_path(settings).exists()


def test_the_lock_is_reentrant_within_a_process(settings: Settings) -> None:
    """A backfill holding the lock can run nightlies that take it again in the same process."""
    with home_lock(settings, "backfill"), home_lock(settings, "nightly", wait_s=0) as path:
        expected = settings.home.resolve() / ".twin.lock"
        assert path == expected


def test_a_missing_home_is_an_error_not_created(tmp_path: Path) -> None:
    """A mistyped TWIN_HOME is reported, not silently created and run on."""
    with (
        pytest.raises(WarehouseError, match="twin init"),
        home_lock(Settings(home=tmp_path / "nope"), "nightly"),
    ):
        pass
    assert not (tmp_path / "nope").exists()


def test_a_waiting_run_is_told_who_it_waits_for(settings: Settings) -> None:
    """on_wait hears the holder once, before the wait ends in LockBusy."""
    proc = _hold_in_other_process(settings.home, 30)
    heard: list[str] = []
    try:
        with (
            pytest.raises(LockBusy),
            home_lock(settings, "scenario", wait_s=0.5, poll_s=0.1, on_wait=heard.append),
        ):
            pass
    finally:
        proc.kill()
        proc.wait()
    assert len(heard) == 1
    assert heard[0].startswith("nightly 2026-01-05 (pid ")
