"""Settings come from keyword arguments, TWIN_* environment variables and twin.toml."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from twin_core.settings import Settings


def test_settings_read_from_environment(twin_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TWIN_HOME and TWIN_TIMEZONE set the home folder and the plant timezone."""
    monkeypatch.setenv("TWIN_TIMEZONE", "Europe/Berlin")
    s = Settings()
    assert s.home == twin_home
    assert s.timezone == "Europe/Berlin"
    assert s.published_path == twin_home / "plant.duckdb"


def test_settings_read_from_toml(twin_home: Path, tmp_path: Path) -> None:
    """A twin.toml in the working directory sets fields; the environment still wins."""
    (tmp_path / "twin.toml").write_text('horizon_days = 21\ntimezone = "America/Chicago"\n')
    s = Settings()
    assert s.horizon_days == 21
    assert s.timezone == "America/Chicago"


def test_environment_beats_toml(
    twin_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When both set a field, the environment variable wins over the file."""
    (tmp_path / "twin.toml").write_text("horizon_days = 21\n")
    monkeypatch.setenv("TWIN_HORIZON_DAYS", "7")
    assert Settings().horizon_days == 7


def test_explicit_config_file(
    twin_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TWIN_CONFIG names a TOML file anywhere."""
    cfg = tmp_path / "elsewhere.toml"
    cfg.write_text("replications = 1000\n")
    monkeypatch.setenv("TWIN_CONFIG", str(cfg))
    assert Settings().replications == 1000


def test_unknown_timezone_is_rejected(twin_home: Path) -> None:
    """A timezone that is not an IANA name fails with a message naming it."""
    with pytest.raises(ValidationError, match="Mars/Olympus"):
        Settings(timezone="Mars/Olympus")


def test_unknown_toml_key_is_rejected(twin_home: Path, tmp_path: Path) -> None:
    """A mistyped key in twin.toml is an error, not silently ignored."""
    (tmp_path / "twin.toml").write_text("horizon_dayz = 3\n")
    with pytest.raises(ValidationError, match="horizon_dayz"):
        Settings()


def test_report_cap_from_toml_and_bad_values_refused(twin_home: Path, tmp_path: Path) -> None:
    """[report] max_items_per_department sets the front-page cap; 0 or an unknown key is an
    error naming the field."""
    assert Settings().report.max_items_per_department == 5
    (tmp_path / "twin.toml").write_text("[report]\nmax_items_per_department = 3\n")
    assert Settings().report.max_items_per_department == 3
    (tmp_path / "twin.toml").write_text("[report]\nmax_items_per_department = 0\n")
    with pytest.raises(ValidationError, match="max_items_per_department"):
        Settings()
    (tmp_path / "twin.toml").write_text("[report]\nmax_items = 3\n")
    with pytest.raises(ValidationError, match="max_items"):
        Settings()


@pytest.mark.parametrize("value", [0, -1.0, 11])
def test_cpk_target_out_of_range_is_rejected(twin_home: Path, value: float) -> None:
    with pytest.raises(ValidationError, match="cpk_target"):
        Settings(home=twin_home, report={"cpk_target": value})


def test_cpk_target_defaults_to_1_33(twin_home: Path) -> None:
    assert Settings(home=twin_home).report.cpk_target == 1.33
