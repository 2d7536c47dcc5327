"""Prefect's console records reach the current ``sys.stderr``, even when the streams were swapped
after Prefect's logging was configured (the CLI run twice in one process, as click's
``CliRunner`` does), and a user error's traceback stays off the terminal."""

from __future__ import annotations

import io
import logging
import sys

import pytest
from prefect.logging.handlers import PrefectConsoleHandler

from flows.console_log import TwinConsoleHandler, adopt_prefect_console
from twin_core.errors import StageFailed


def _stderr(monkeypatch: pytest.MonkeyPatch, old: io.StringIO | None = None) -> io.StringIO:
    """A new ``sys.stderr`` (set in the test body: pytest re-installs its own capture between a
    fixture's setup and the call), closing the one before as ``CliRunner`` does."""
    if old is not None:
        old.close()
    new = io.StringIO()
    monkeypatch.setattr(sys, "stderr", new)
    return new


def _record(message: str, exc: BaseException | None = None) -> logging.LogRecord:
    info = (type(exc), exc, None) if exc is not None else None
    return logging.LogRecord("prefect.flow_runs", logging.ERROR, __file__, 1, message, (), info)


def test_a_handler_made_before_the_swap_writes_to_the_new_stderr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = _stderr(monkeypatch)
    handler = TwinConsoleHandler(stream=sys.stderr)
    now = _stderr(monkeypatch, first)
    handler.handle(_record("stage rebuild finished"))
    assert "stage rebuild finished" in now.getvalue()


def test_prefects_own_handler_is_adopted(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain PrefectConsoleHandler bound to a stream that is later closed: before adoption
    its record fails with "I/O operation on closed file"; after, it reaches the new stderr."""
    first = _stderr(monkeypatch)
    handler = PrefectConsoleHandler(stream=sys.stderr)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        now = _stderr(monkeypatch, first)
        with pytest.raises(ValueError, match="closed file"):
            handler.console.print("before")
        adopt_prefect_console()
        handler.handle(_record("after adoption"))
        handler.handle(_record("the stage failed", StageFailed("no snapshot for 2026-01-05")))
    finally:
        root.removeHandler(handler)
    assert "after adoption" in now.getvalue()
    assert "the stage failed" not in now.getvalue()


def test_a_user_errors_record_is_kept_off_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    now = _stderr(monkeypatch)
    handler = TwinConsoleHandler(stream=sys.stderr)
    handler.handle(_record("boom", StageFailed("no snapshot")))
    handler.handle(_record("other", RuntimeError("a bug")))
    text = now.getvalue()
    assert "boom" not in text and "other" in text


def test_a_stream_other_than_stderr_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    now = _stderr(monkeypatch)
    mine = io.StringIO()
    handler = TwinConsoleHandler(stream=mine)
    handler.handle(_record("to my stream"))
    assert "to my stream" in mine.getvalue()
    assert now.getvalue() == ""
