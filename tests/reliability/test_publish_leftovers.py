"""What a publish killed before its swap leaves behind is cleared by the next publish, which
can do so safely because publishers take the TWIN_HOME lock."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from twin_core.publish import publish
from twin_core.runlock import LockBusy
from twin_core.settings import Settings
from twin_core.warehouse import open_warehouse


def test_the_next_publish_removes_a_killed_publishs_half_built_file(settings: Settings) -> None:
    """A `.plant-<id>.building` file and its WAL (a publish killed mid-build) are deleted."""
    with open_warehouse(settings):
        pass
    half = settings.home / ".plant-0123456789ab.building"
    half.write_bytes(b"half a database")
    wal = settings.home / ".plant-0123456789ab.building.wal"
    wal.write_bytes(b"")
    publish(settings)
    left = sorted(p.name for p in settings.home.iterdir() if ".building" in p.name)
    expected: list[str] = []
    assert left == expected


def test_publish_refuses_while_another_process_holds_the_home(settings: Settings) -> None:
    """A publish during another process's nightly fails naming it instead of racing it."""
    with open_warehouse(settings):
        pass
    code = textwrap.dedent(
        f"""
        import time
        from twin_core.runlock import home_lock
        from twin_core.settings import Settings
        with home_lock(Settings(home={str(settings.home)!r}), "nightly 2026-03-03"):
            print("held", flush=True)
            time.sleep(60)
        """
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LockBusy, match="nightly 2026-03-03"):
            publish(settings)
    finally:
        holder.kill()
        holder.wait()
    assert not settings.published_path.exists()
