"""`faults="none"` generates a plant with no labelled fault and no dirt; bad values are refused."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from twin_cli import app
from twin_core.synth.config import make_config
from twin_core.synth.generator import generate


def test_a_fault_free_plant_has_no_faults_in_its_ground_truth(tmp_path: Path) -> None:
    truth = generate(tmp_path / "home", 5, date(2026, 3, 2), 7, faults="none")
    assert truth.faults == []
    assert make_config(5, faults="none").with_faults is False
    assert make_config(5).with_faults is True


def test_an_unknown_faults_value_is_refused() -> None:
    with pytest.raises(ValidationError):
        make_config(5, faults="some")  # type: ignore[arg-type]


def test_cli_refuses_an_unknown_faults_value(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["generate", "--out", str(tmp_path), "--faults", "some"])
    assert result.exit_code != 0
    assert "--faults takes labelled or none" in result.output
    assert not (tmp_path / "landing").exists()
