"""Unknown site ids are refused before anything runs, with the known ones listed: the
library check, `twin rebuild/nightly/backfill --site`, TWIN_SITE_IDS and the flows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.tiny_plant import AS_OF, seed_tiny_plant
from twin_cli import app
from twin_core.settings import Settings
from twin_core.sites import UnknownSite, check_settings_sites, check_sites, known_sites
from twin_core.warehouse import connect, open_warehouse

runner = CliRunner()


def _snapshots(settings: Settings) -> int:
    con = connect(settings.warehouse_path, read_only=True)
    try:
        row = con.execute("select count(*) from history.snapshots").fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0


def _batches(settings: Settings) -> int:
    con = connect(settings.warehouse_path, read_only=True)
    try:
        row = con.execute("select count(*) from ingest.batches").fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0


@pytest.fixture
def tiny(settings: Settings) -> Settings:
    seed_tiny_plant(settings)  # site S1 in core.machines and core.inventory
    with open_warehouse(settings) as con:
        con.execute(
            "insert into raw.machines (machine_id, line_id, site_id, name, machine_type, "
            "line_position, ideal_cycle_time_s, _batch_id, _file, _row, _ingested_at) values "
            "('M9', 'L9', 'S2', 'new', 'press', 1, 30, 'b2', 'machines.csv', 1, now())"
        )
    return settings


def test_known_sites_are_those_of_core_and_raw(tiny: Settings) -> None:
    with open_warehouse(tiny) as con:
        assert known_sites(con) == ["S1", "S2"]
        assert check_sites(con, ["S1"]) == ["S1", "S2"]
        assert check_sites(con, []) == []


@pytest.mark.parametrize(
    ("asked", "says"),
    [
        (["NOPE"], "unknown site 'NOPE'; the warehouse knows S1, S2"),
        (["S1", "nope", "NOPE"], "unknown site 'nope', 'NOPE'; the warehouse knows S1, S2"),
        (["s1"], "unknown site 's1'"),  # ids are case-sensitive, as in the data
    ],
)
def test_an_unknown_site_is_refused_with_the_known_ones(
    tiny: Settings, asked: list[str], says: str
) -> None:
    with open_warehouse(tiny) as con, pytest.raises(UnknownSite) as info:
        check_sites(con, asked)
    assert says in str(info.value)


def test_a_warehouse_without_sites_refuses_unless_told_to_wait(settings: Settings) -> None:
    """A fresh home knows no site: refused, or left for the check after ingest."""
    with open_warehouse(settings) as con:
        with pytest.raises(UnknownSite, match="knows no site yet"):
            check_sites(con, ["S1"])
        assert check_sites(con, ["S1"], allow_empty=True) == []
    missing = Settings(home=settings.home / "none", site_ids=["S1"])
    with pytest.raises(UnknownSite, match="knows no site yet"):
        check_settings_sites(missing)
    assert check_settings_sites(missing, allow_empty=True) == []


def test_twin_rebuild_refuses_an_unknown_site_and_builds_nothing(tiny: Settings) -> None:
    result = runner.invoke(app, ["rebuild", "--as-of", AS_OF.isoformat(), "--site", "NOPE"])
    assert result.exit_code == 3, result.output
    assert "unknown site 'NOPE'; the warehouse knows S1, S2" in " ".join(result.output.split())
    assert _snapshots(tiny) == 0


@pytest.mark.parametrize(
    "args",
    [
        ["nightly", "--as-of", "2026-01-05", "--site", "NOPE"],
        ["backfill", "--start", "2026-01-04", "--end", "2026-01-05", "--site", "NOPE"],
    ],
    ids=["nightly", "backfill"],
)
def test_nightly_and_backfill_refuse_an_unknown_site_before_anything_runs(
    tiny: Settings, args: list[str]
) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 3, result.output
    assert "unknown site 'NOPE'; the warehouse knows S1, S2" in " ".join(result.output.split())
    assert _batches(tiny) == 0 and _snapshots(tiny) == 0
    assert not tiny.published_path.exists()


def test_twin_site_ids_in_the_environment_are_checked_too(
    tiny: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWIN_SITE_IDS", '["NOPE"]')
    result = runner.invoke(app, ["nightly", "--as-of", "2026-01-05"])
    assert result.exit_code == 3, result.output
    assert "unknown site 'NOPE'" in result.output
    assert not tiny.published_path.exists()


@pytest.mark.slow
def test_the_flows_refuse_an_unknown_site(prefect_api: None, tiny: Settings) -> None:
    """Deployed runs do not go through the CLI: the nightly and rebuild flows check too
    (the nightly under the home lock, before its ingest), so nothing is built or published."""
    from flows._stages import StageFailed
    from flows.nightly import nightly
    from flows.params import NightlyParams
    from flows.rebuild import rebuild

    with pytest.raises(StageFailed, match="unknown site 'NOPE'; the warehouse knows S1, S2"):
        nightly(**NightlyParams(as_of=date(2026, 1, 5), sites=["NOPE"], lock_wait_s=0).kwargs())
    with pytest.raises(UnknownSite, match="unknown site 'NOPE'"):
        rebuild(as_of=date(2026, 1, 5), sites=["NOPE"], lock_wait_s=0)
    assert _batches(tiny) == 0 and _snapshots(tiny) == 0
    assert not tiny.published_path.exists()
    assert not (Path(tiny.home) / "reports" / "2026-01-05").exists()
