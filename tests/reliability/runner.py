"""``twin nightly`` in a child process forked from a warm interpreter.

Grain: one child process per run. A cold ``twin nightly`` spends about 15 s of a loaded
2-core machine importing Prefect and Great Expectations before its first stage; the suite
runs a dozen nightlies. So the children come from a multiprocessing *forkserver* that
imported those modules once (``PRELOAD``): each child is a fresh process running the CLI's
own entry point (``twin_cli.main`` with ``sys.argv``), with its own TWIN_HOME and
TWIN_CRASH_AT, and a SIGKILL kills exactly it, as it would kill a cron-started nightly.

This module is imported by the forkserver: it must not import pytest or the test fixtures.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from dataclasses import dataclass
from multiprocessing.context import ForkServerContext
from pathlib import Path

# Imported by the forkserver before it forks anything (the expensive part of a cold start).
import flows.nightly  # noqa: F401
import twin_cli

PRELOAD = ["tests.reliability.runner"]


@dataclass(frozen=True)
class Done:
    returncode: int  # negative: killed by that signal
    output: str
    seconds: float


def _child(argv: list[str], env: dict[str, str], cwd: str, log: str) -> None:
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    sys.argv = ["twin", *argv]
    twin_cli.main()


def context(env: dict[str, str]) -> ForkServerContext:
    """A forkserver context whose server starts with ``env`` and the preloaded modules. The
    server inherits the environment of the moment it starts (Prefect reads its settings
    from it at import), so ``env`` is in place while it starts."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from multiprocessing import forkserver

        forkserver.ensure_running()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return ctx


def start(
    ctx: ForkServerContext, argv: list[str], env: dict[str, str], cwd: Path, log: Path
) -> multiprocessing.process.BaseProcess:
    proc = ctx.Process(target=_child, args=(argv, env, str(cwd), str(log)))
    proc.start()
    return proc


def finish(
    proc: multiprocessing.process.BaseProcess, log: Path, started: float, timeout: float
) -> Done:
    proc.join(timeout)
    if proc.exitcode is None:
        proc.kill()
        proc.join()
        raise TimeoutError(f"twin nightly did not finish in {timeout:g} s; see {log}")
    return Done(
        int(proc.exitcode),
        log.read_text(encoding="utf-8", errors="replace"),
        time.perf_counter() - started,
    )


def run(
    ctx: ForkServerContext,
    argv: list[str],
    env: dict[str, str],
    cwd: Path,
    log: Path,
    timeout: float = 600,
) -> Done:
    """Run ``twin <argv>`` in a forked child and wait for it."""
    started = time.perf_counter()
    return finish(start(ctx, argv, env, cwd, log), log, started, timeout)
