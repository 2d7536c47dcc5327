"""One run at a time per TWIN_HOME: a Prefect global concurrency limit over the file lock.

Grain: one global concurrency limit per TWIN_HOME (limit 1, name ``twin-home-<folder>-<hash>``),
one slot per nightly, backfill or scenario run, held by the flow run (its lease names the
run, so the UI's Concurrency page shows who holds the home and who waits).

The file lock (``twin_core.runlock.home_lock``) stays underneath as the guard for what runs
outside Prefect's view (another API, a `twin` command against another server, a process
that lost its API); the slot is taken first, then the lock. Both are re-entrant within a
process: a backfill holds them for all its days and its nightly subflows pass through.

A slot not obtained within the wait raises ``LockBusy`` naming the limit, as the file lock
does, so the CLI's busy exit code and the nightly's messages are unchanged.

A run killed while it held the slot (SIGKILL, a lost machine) leaves its lease until the
lease expires (Prefect renews it every few seconds and lets it lapse after 300 s). A refused
slot whose home file lock is free has no live holder (the holder takes the lock right after
the slot and keeps both): the limit is then deleted and created again, which drops the dead
run's slot at once (its lease points at the deleted limit, so its expiry frees nothing of the
new one), and the slot is taken. The warning names the limit.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twin_core.runlock import LockBusy, describe_holder, home_lock, lock_path
from twin_core.settings import Settings

if TYPE_CHECKING:
    from prefect.client.schemas.objects import ConcurrencyLeaseHolder

_guard = threading.Lock()
_held: dict[str, int] = {}


def limit_name(home: Path) -> str:
    """The global concurrency limit of a TWIN_HOME: readable folder name plus a path hash."""
    resolved = home.expanduser().resolve()
    digest = hashlib.sha1(str(resolved).encode()).hexdigest()[:8]
    folder = re.sub(r"[^A-Za-z0-9_.\-]+", "-", resolved.name or "root")[:40]
    return f"twin-home-{folder}-{digest}"


def ensure_limit(name: str) -> None:
    """Create the limit (1 slot) if it does not exist yet; an existing one is left as it is."""
    from prefect import get_client

    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(name=name, limit=1)


def _holder() -> ConcurrencyLeaseHolder | None:
    from prefect.client.schemas.objects import ConcurrencyLeaseHolder
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow_run is None:
        return None
    return ConcurrencyLeaseHolder(type="flow_run", id=ctx.flow_run.id)


def reset_limit(name: str) -> None:
    """Delete the limit and create it again with no slot taken."""
    from prefect import get_client

    with get_client(sync_client=True) as client:
        client.delete_global_concurrency_limit_by_name(name=name)
        client.upsert_global_concurrency_limit_by_name(name=name, limit=1)


def _is_locked(exc: BaseException | None) -> bool:
    """True for the API's answer that every slot of the limit is taken (HTTP 423)."""
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None) == 423


@contextmanager
def _slot(
    name: str,
    wait_s: float,
    logger: logging.Logger | logging.LoggerAdapter[Any],
    holder_alive: Callable[[], str | None] = lambda: "another run",
) -> Iterator[None]:
    with _guard:
        reentered = name in _held
        _held[name] = _held.get(name, 0) + 1
    try:
        if reentered:
            yield
            return
        from prefect.concurrency._asyncio import ConcurrencySlotAcquisitionError
        from prefect.concurrency.sync import concurrency

        ensure_limit(name)

        def busy(holder: str = "another run") -> LockBusy:
            return LockBusy(
                f"TWIN_HOME is busy: {holder} holds the Prefect concurrency limit {name!r} "
                f"(the UI's Concurrency page shows which); waited {wait_s:g} s"
            )

        def take(stack: ExitStack, wait: float) -> None:
            stack.enter_context(
                concurrency(
                    name,
                    occupy=1,
                    # No wait: one request, refused (423) when the slot is taken. A
                    # timeout would also count the request's own time.
                    timeout_seconds=wait if wait > 0 else None,
                    max_retries=0 if wait <= 0 else None,
                    strict=True,
                    holder=_holder(),
                )
            )

        with ExitStack() as stack:
            try:
                take(stack, 0)  # one request first: a refusal may be a dead run's slot
            except ConcurrencySlotAcquisitionError as exc:
                if not _is_locked(exc.__cause__):
                    raise
                holder = holder_alive()
                try:
                    if holder is None:
                        logger.warning(
                            "the Prefect concurrency limit %s was held by a run that is gone "
                            "(the home's file lock is free); recreated it",
                            name,
                        )
                        reset_limit(name)
                        take(stack, 0)
                    elif wait_s > 0:
                        take(stack, wait_s)
                    else:
                        raise busy(holder) from None
                except TimeoutError:
                    raise busy(holder_alive() or "another run") from None
                except ConcurrencySlotAcquisitionError as again:
                    if _is_locked(again.__cause__):
                        raise busy(holder or "another run") from None
                    raise
            logger.info("holding the Prefect concurrency limit %s", name)
            yield
    finally:
        with _guard:
            _held[name] -= 1
            if not _held[name]:
                del _held[name]


@contextmanager
def home_slot(
    settings: Settings,
    purpose: str,
    *,
    wait_s: float,
    logger: logging.Logger | logging.LoggerAdapter[Any],
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the home's Prefect concurrency slot, then its file lock, for the block."""

    def holder_alive() -> str | None:
        """Who holds the home's file lock (as its lock file says), or None: nobody."""
        if not settings.home.is_dir():
            return None  # no home, no lock file: nobody can hold it
        try:
            with home_lock(settings, purpose, wait_s=0):
                return None
        except LockBusy:
            return describe_holder(lock_path(settings).resolve())

    with (
        _slot(limit_name(settings.home), wait_s, logger, holder_alive),
        home_lock(settings, purpose, wait_s=wait_s, on_wait=on_wait),
    ):
        yield
