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

from twin_core.runlock import LockBusy, home_lock
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


def _is_locked(exc: BaseException | None) -> bool:
    """True for the API's answer that every slot of the limit is taken (HTTP 423)."""
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None) == 423


@contextmanager
def _slot(
    name: str, wait_s: float, logger: logging.Logger | logging.LoggerAdapter[Any]
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
        busy = LockBusy(
            f"TWIN_HOME is busy: another run holds the Prefect concurrency limit {name!r} "
            f"(the UI's Concurrency page shows which); waited {wait_s:g} s"
        )
        with ExitStack() as stack:
            try:
                stack.enter_context(
                    concurrency(
                        name,
                        occupy=1,
                        # No wait: one request, refused (423) when the slot is taken. A
                        # timeout would also count the request's own time.
                        timeout_seconds=wait_s if wait_s > 0 else None,
                        max_retries=0 if wait_s <= 0 else None,
                        strict=True,
                        holder=_holder(),
                    )
                )
            except TimeoutError:
                raise busy from None
            except ConcurrencySlotAcquisitionError as exc:
                if _is_locked(exc.__cause__):
                    raise busy from None
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
    with (
        _slot(limit_name(settings.home), wait_s, logger),
        home_lock(settings, purpose, wait_s=wait_s, on_wait=on_wait),
    ):
        yield
