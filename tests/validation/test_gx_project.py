"""The GX context is GX's own, on disk: GX opens it and reruns a source's checkpoint against
the warehouse datasource, getting the result the validation run recorded."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import date

from tests.validation.conftest import AddBatch, Query, masters, reading
from twin_core.settings import Settings
from twin_core.validation import validate_batch
from twin_core.validation.gx_context import context_dir

AS_OF = date(2026, 3, 2)


def _rerun(settings: Settings, checkpoint: str) -> dict[str, list[object]]:
    """Open the context with gx.get_context in a process of its own (as a GX user would,
    after the DuckDB workaround and the project's expectation type) and run a checkpoint;
    per rule: success and observed unexpected count (or observed value)."""
    script = textwrap.dedent(
        f"""
        import json
        import great_expectations as gx
        from twin_core.validation.gx_context import install_duckdb_workaround
        import twin_core.validation.checks  # registers expect_no_unexpected_rows
        install_duckdb_workaround()
        context = gx.get_context(project_root_dir={str(settings.validation_dir)!r})
        result = context.checkpoints.get({checkpoint!r}).run()
        (validation,) = result.run_results.values()
        out = {{}}
        for r in validation.results:
            value = (r.result or {{}}).get("observed_value", (r.result or {{}}).get("unexpected_count"))
            out[r.expectation_config.meta["rule"]] = [bool(r.success), value]
        print(json.dumps(out, default=str))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    parsed: dict[str, list[object]] = json.loads(done.stdout.strip().splitlines()[-1])
    return parsed


def test_gx_reopens_the_context_and_a_checkpoint_rerun_gives_the_recorded_result(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """A reading of an unknown sensor and one with no value: the rerun of the
    sensor_readings checkpoint fails the same two rules, with the same counts, and passes
    the rest, as quality.validation_runs recorded."""
    bad = [reading("T1"), reading("T9", ts="2026-03-01 00:00:01"), reading("T2", value=None)]
    add_batch("b1", {**masters(), "sensor_readings": bad})
    result = validate_batch(settings, "b1", as_of=AS_OF)
    root = context_dir(settings.validation_dir)
    for folder in ("expectations", "validation_definitions", "checkpoints"):
        assert (root / folder / "sensor_readings.json").exists(), folder
    assert (root / "great_expectations.yml").read_text(encoding="utf-8").count("warehouse") >= 1

    recorded = {
        rule: (bool(success), count)
        for rule, success, count in query(
            "select rule, success, unexpected_count from quality.validation_runs "
            "where run_id = ? and source = 'sensor_readings'",
            [result.run_id],
        )
    }
    failed = {r for r, (ok, _) in recorded.items() if not ok}
    assert failed == {"sensor_id_in_sensors", "expect_column_values_to_not_be_null:value"}

    rerun = _rerun(settings, "sensor_readings")
    assert set(rerun) == set(recorded)
    assert {r for r, (ok, _) in rerun.items() if not ok} == failed
    for rule in failed:
        assert rerun[rule][1] == recorded[rule][1] == 1, rule


def test_reference_ids_a_persisted_suite_queries_are_kept_and_older_ones_dropped(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """meta.validation_refs keeps the ids of the runs the persisted suites name, no others."""
    add_batch("b1", {**masters(), "sensor_readings": [reading("T1")]})
    first = validate_batch(settings, "b1", as_of=AS_OF)
    add_batch("b2", masters())
    second = validate_batch(settings, "b2", as_of=AS_OF)
    runs = {r for (r,) in query("select distinct run_id from meta.validation_refs")}
    # sensor_readings' suite still names the first run; machines' and sensors' the second.
    assert runs == {first.run_id, second.run_id}
    add_batch("b3", {**masters(), "sensor_readings": [reading("T2")]})
    third = validate_batch(settings, "b3", as_of=AS_OF)
    runs = {r for (r,) in query("select distinct run_id from meta.validation_refs")}
    assert runs == {third.run_id}
