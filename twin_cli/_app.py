"""The typer application and the error boundary shared by every command."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from twin_core.errors import WarehouseError

app = typer.Typer(
    name="twin",
    help="Plant digital twin: generate, ingest, validate, rebuild, report and query.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
out = Console()

P = ParamSpec("P")
R = TypeVar("R")


class UserError(Exception):
    """An error whose message tells the user what to do; printed without a traceback."""


def friendly(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn errors a user can act on into one red line and exit code 2."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except (UserError, WarehouseError, FileNotFoundError) as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False, markup=True)
            raise typer.Exit(code=2) from None
        except ValidationError as exc:
            err.print(f"[red]error: invalid settings or parameters[/red]\n{exc}", highlight=False)
            raise typer.Exit(code=2) from None

    return wrapper


def main() -> None:
    """Console-script entry point."""
    sys.exit(app())
