"""Configuration mistakes get one message that names the file or variable and the closest key
(exit 3), and a misspelt TWIN_* variable is warned about instead of silently ignored."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from twin_core.settings import SettingsError, get_settings, unknown_env_vars

TWIN = str(Path(sys.executable).parent / "twin")


def _twin(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("TWIN_")}
    return subprocess.run(
        [TWIN, *args], cwd=cwd, env={**base, **env}, capture_output=True, text=True
    )


def test_a_misspelt_key_in_twin_toml_names_the_file_and_the_right_key(tmp_path: Path) -> None:
    (tmp_path / "twin.toml").write_text("horizon_dayz = 3\n", encoding="utf-8")
    done = _twin(["query", "select 1"], tmp_path, TWIN_HOME=str(tmp_path / "h"))
    assert done.returncode == 3
    assert str((tmp_path / "twin.toml").resolve()) in done.stderr
    assert "unknown key 'horizon_dayz'" in done.stderr
    assert "did you mean 'horizon_days'?" in done.stderr
    assert "Traceback" not in done.stderr and "pydantic" not in done.stderr


def test_a_misspelt_key_in_a_table_suggests_the_key_of_that_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "twin.toml").write_text("[report]\nmax_item_per_department = 3\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TWIN_CONFIG", raising=False)
    with pytest.raises(SettingsError, match=r"did you mean 'max_items_per_department'\?"):
        get_settings()


def test_a_bad_value_from_the_environment_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TWIN_HORIZON_DAYS", "x")
    with pytest.raises(SettingsError, match="environment variable TWIN_HORIZON_DAYS"):
        get_settings()


def test_an_unknown_twin_variable_is_warned_about_with_the_closest_name(tmp_path: Path) -> None:
    done = _twin(["--help"], tmp_path, TWIN_HORIZON_DAYZ="3")
    assert done.returncode == 0
    assert "TWIN_HORIZON_DAYZ is not a setting (did you mean 'TWIN_HORIZON_DAYS'?)" in done.stderr


def test_known_variables_are_not_warned_about() -> None:
    env = {"TWIN_HOME": "/x", "TWIN_CONFIG": "/x/twin.toml", "TWIN_STRICT_INGEST": "1"}
    assert unknown_env_vars(env) == []
    assert unknown_env_vars({**env, "TWIN_HOMEE": "/y"}) == [
        "TWIN_HOMEE is not a setting (did you mean 'TWIN_HOME'?)"
    ]
