"""The terminal end of Prefect's logging for the ``twin`` CLI: one line per user error, and records
written to the current ``sys.stderr``.

Prefect's logging configuration binds its console handler to the ``sys.stderr`` of the moment
it is applied (``stream: ext://sys.stderr``), and applies it again in some paths (a fresh,
non-incremental configuration). A process that runs the CLI more than once with its streams
swapped in between (click's ``CliRunner``, a notebook) then had Prefect records fail with
"I/O operation on closed file", logging print that error's traceback, and a re-created handler
lose the user-error filter. ``TwinConsoleHandler`` is named as Prefect's console handler class
(``PREFECT_LOGGING_HANDLERS_CONSOLE_CLASS``, set by the CLI before Prefect is imported), so a
re-created handler keeps both; ``adopt_prefect_console`` fixes the handlers already made. In a
plain ``twin`` process ``sys.stderr`` never changes, so the output is the same.

It lives in ``flows`` (whose package imports nothing) because Prefect's logging configuration
imports the class while ``import prefect`` is still running: a module behind ``twin_cli``'s
package, which imports every command, would be a circular import, and Prefect drops a failed
configuration without a word (no console logging at all)."""

from __future__ import annotations

import logging
import sys
from typing import Any

from prefect.logging.handlers import PrefectConsoleHandler


class NoUserErrorTracebacks(logging.Filter):
    """Drops, from the terminal only, Prefect's log records that carry the traceback of an error
    the user can act on: the CLI prints its message as one line (and its exit code) instead.
    The Prefect API still gets the full records: the UI shows the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        from twin_core.errors import StageFailed, WarehouseError
        from twin_core.runlock import LockBusy
        from twin_core.scenario.run import ScenarioError

        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, StageFailed | LockBusy | ScenarioError | WarehouseError)


class CurrentStderr:
    """A stream that writes to whatever ``sys.stderr`` is at the moment of writing."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(sys.stderr, name)


def _is_stderr(stream: object) -> bool:
    return stream is None or stream is sys.stderr or stream is sys.__stderr__


class TwinConsoleHandler(PrefectConsoleHandler):
    """Prefect's console handler, writing to the current ``sys.stderr`` (when it was configured
    for stderr) and without the tracebacks of user errors."""

    def __init__(self, stream: Any = None, **kwargs: Any) -> None:
        current: Any = CurrentStderr()
        super().__init__(stream=current if _is_stderr(stream) else stream, **kwargs)
        self.addFilter(NoUserErrorTracebacks())


def adopt_prefect_console() -> None:
    """Give the console handlers Prefect has already made the behaviour of
    ``TwinConsoleHandler``: the filter, and the current ``sys.stderr`` in place of the one they
    were bound to."""
    for handler in logging.getLogger().handlers:
        if not isinstance(handler, PrefectConsoleHandler):
            continue
        if _is_stderr(handler.stream):
            current: Any = CurrentStderr()
            handler.setStream(current)
            handler.console.file = current
        if not any(isinstance(f, NoUserErrorTracebacks) for f in handler.filters):
            handler.addFilter(NoUserErrorTracebacks())
