"""The typer application and the error boundary shared by every command."""

from __future__ import annotations

import sys
import typing
from collections.abc import Callable
from enum import IntEnum
from functools import wraps
from typing import ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from twin_core.errors import WarehouseError, WarehouseLocked


class ExitCode(IntEnum):
    """What ``twin`` exits with; scripts and schedulers can branch on it."""

    OK = 0
    FAILED = 1  # a run completed and failed its own check (a batch failed validation, --strict)
    USAGE = 2  # a malformed command line: unknown option, a date that is no date
    BAD_INPUT = 3  # well-formed but wrong for this home: unknown id, no such snapshot, bad SQL
    BUSY = 4  # another run holds TWIN_HOME (or its warehouse) and the wait ran out
    DATA_GATE = 5  # the data does not allow the run: a required source missing, failed batch


EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 a run failed its own check (validation, --strict); 2 usage error; "
    "3 bad input (unknown id, no such snapshot, bad SQL, bad twin.toml); 4 TWIN_HOME busy; "
    "5 data gate (the data does not allow the run: see the message)."
)

app = typer.Typer(
    name="twin",
    help="Plant digital twin: generate, ingest, validate, rebuild, report and query.\n\n"
    + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# soft_wrap: a message is one line however narrow the terminal (or a pipe's 80 columns); only
# tables are laid out to the width.
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")


class UserError(Exception):
    """An error whose message tells the user what to do; printed without a traceback and
    exiting with ``code`` (default: bad input)."""

    code: ExitCode = ExitCode.BAD_INPUT

    def __init__(self, message: str, *, code: ExitCode | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class UsageError(UserError):
    """A malformed command line (an option's value is not of its kind): exit 2."""

    code = ExitCode.USAGE


def friendly(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn errors a user can act on into one red line and their exit code (``ExitCode``)."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from twin_core.errors import StageFailed
        from twin_core.runlock import LockBusy
        from twin_core.settings import SettingsError

        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            _fail(str(exc), exc.code)
        except SettingsError as exc:
            _fail(str(exc), ExitCode.BAD_INPUT)
        except LockBusy as exc:
            _fail(str(exc), ExitCode.BUSY)
        except StageFailed as exc:
            _fail(str(exc), ExitCode.DATA_GATE)
        except WarehouseLocked as exc:
            _fail(str(exc), ExitCode.BUSY)
        except WarehouseError as exc:
            _fail(str(exc), ExitCode.BAD_INPUT)
        except FileNotFoundError as exc:
            _fail(str(exc), ExitCode.BAD_INPUT)
        except ValidationError as exc:
            _fail(f"invalid settings or parameters\n{exc}", ExitCode.USAGE)

    return wrapper


def _fail(message: str, code: ExitCode) -> typing.NoReturn:
    err.print("[red]error:[/red] ", end="", markup=True)
    err.print(message, highlight=False, markup=False)
    raise typer.Exit(code=int(code)) from None


def main() -> None:
    """Console-script entry point."""
    from twin_core.settings import unknown_env_vars

    # A misspelt variable would otherwise be ignored without a word.
    for warning in unknown_env_vars():
        err.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    sys.exit(app())
