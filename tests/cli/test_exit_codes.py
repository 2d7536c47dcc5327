"""Each kind of failure exits with its own code (documented in `twin --help`), with one line of
message and no traceback: 2 usage, 3 bad input, 4 busy, 5 data gate."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from twin_cli import app
from twin_cli._app import ExitCode
from twin_core.settings import Settings

runner = CliRunner()


def _one_clean_error(output: str) -> None:
    assert "Traceback" not in output
    assert output.count("error:") == 1, output


def test_help_documents_every_exit_code() -> None:
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for code in ExitCode:
        if code is not ExitCode.OK:
            assert f"{int(code)} " in text
    assert "4 TWIN_HOME busy" in text and "5 data gate" in text


def test_a_malformed_date_is_a_usage_error(settings: Settings) -> None:
    result = runner.invoke(app, ["rebuild", "--as-of", "2026-02-30"])
    assert result.exit_code == ExitCode.USAGE == 2
    assert "YYYY-MM-DD" in result.output
    _one_clean_error(result.output)


def test_an_unknown_batch_is_bad_input(settings: Settings) -> None:
    result = runner.invoke(app, ["validate", "--batch", "nope"])
    assert result.exit_code == ExitCode.BAD_INPUT == 3
    _one_clean_error(result.output)


def test_a_busy_home_exits_4_naming_the_holder(settings: Settings) -> None:
    code = textwrap.dedent(
        f"""
        import time
        from twin_core.runlock import home_lock
        from twin_core.settings import Settings
        with home_lock(Settings(home={str(settings.home)!r}), "nightly 2026-01-04"):
            print("held", flush=True)
            time.sleep(60)
        """
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        result = runner.invoke(app, ["rebuild", "--as-of", "2026-01-05", "--wait", "0"])
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == ExitCode.BUSY == 4
    assert "nightly 2026-01-04" in result.output
    _one_clean_error(result.output)


def test_a_nightly_on_a_day_without_data_is_stopped_by_the_data_gate(
    prefect_api: None, settings: Settings
) -> None:
    """An initialised home with no data: the coverage gate stops the rebuild; exit 5."""
    assert runner.invoke(app, ["init"]).exit_code == 0
    result = runner.invoke(app, ["nightly", "--as-of", date(2026, 1, 5).isoformat()])
    assert result.exit_code == ExitCode.DATA_GATE == 5, result.output
    assert "2026-01-05" in result.output
    _one_clean_error(result.output)
    assert not Path(settings.published_path).exists()


def test_messages_are_not_wrapped_when_piped(tmp_path: Path) -> None:
    """A long message stays one line on a pipe (rich's 80 columns used to break it)."""
    home = tmp_path / "no-such-home"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "twin"), "query", "select 1"],
        env={"TWIN_HOME": str(home), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == ExitCode.BAD_INPUT
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "twin init" in lines[0] and str(home) in lines[0], done.stderr
