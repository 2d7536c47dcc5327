"""The ``twin`` command line: a thin layer over the library.

Each command group lives in its own module and registers itself on ``app``; errors a
user can act on are printed as one clear line and exit with code 2 (no traceback).
"""

from __future__ import annotations

# Importing the command modules registers their commands on ``app``.
from twin_cli import basics as _basics  # noqa: F401  (registration)
from twin_cli import doctor as _doctor  # noqa: F401
from twin_cli import generate as _generate  # noqa: F401
from twin_cli import ingest as _ingest  # noqa: F401
from twin_cli import publish as _publish  # noqa: F401
from twin_cli import rebuild as _rebuild  # noqa: F401
from twin_cli import report as _report  # noqa: F401
from twin_cli import run as _run  # noqa: F401
from twin_cli import validate as _validate  # noqa: F401
from twin_cli import watch as _watch  # noqa: F401
from twin_cli._app import app, main

__all__ = ["app", "main"]
