"""Triage: priority from the loss an instruction prevents, a stable key per instruction, and
its state from one night to the next.

Priority (the README's table): 1 when the loss the instruction prevents is quantified, above
zero and falls inside the forecast horizon (a day is known); otherwise the rule's own priority,
but never 1: 2 for an action whose loss is beyond the horizon or cannot be quantified, 3 and
lower for notes to watch and improvements. Within a department and priority the order follows
the loss: its money value where unit costs exist, then its size, then the rule's score.

Tracking: ``instruction_key`` is department | kind | entity | cause; the same key on the
previous snapshot (the latest complete one with an earlier as-of date) makes an instruction
"open" (or "escalated" when its priority rose or its loss grew by more than ESCALATE_SHARE),
else "new"; a key of the previous night that is gone is "resolved" (written to
history.instruction_history only).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from twin_core.report.rules._common import DEPARTMENTS, Instruction

# A loss that grew by more than this share since the previous night escalates its item.
ESCALATE_SHARE = 0.10
STATES = ("new", "open", "escalated", "resolved")


def loss_in_horizon(i: Instruction, as_of: date, horizon_days: int) -> bool:
    """The instruction's loss is quantified, positive, and falls on a day of the horizon."""
    return (
        i.loss is not None
        and math.isfinite(i.loss)
        and i.loss > 0
        and i.loss_day is not None
        and i.loss_day <= as_of + timedelta(days=horizon_days)
    )


def policy_priority(i: Instruction, as_of: date, horizon_days: int) -> int:
    """Priority 1 only for a loss inside the horizon; a watch note is 3 or lower."""
    if i.mode == "watch":
        return max(3, i.priority)
    if loss_in_horizon(i, as_of, horizon_days):
        return 1
    return max(2, i.priority)


def key_of(i: Instruction) -> str:
    """department | kind | entity | cause: the same for the same finding on the next night."""
    cause = i.cause_id or f"{i.entity_type}:{i.entity_id}"
    return f"{i.department}|{i.kind or 'item'}|{i.entity_type}:{i.entity_id}|{cause}"


def _order(i: Instruction) -> tuple[int, int, float, float, float, str, str, str]:
    money = i.loss_cost if i.loss_cost is not None and math.isfinite(i.loss_cost) else -1.0
    loss = i.loss if i.loss is not None and math.isfinite(i.loss) else -1.0
    return (
        DEPARTMENTS.index(i.department),
        i.priority,
        -money,
        -loss,
        -i.score,
        i.line_id or "",
        i.entity_id,
        i.action,
    )


def triage(items: Iterable[Instruction], as_of: date, horizon_days: int) -> list[Instruction]:
    """Each item with its policy priority, cause and key, in reading order. Two items with the
    same key (a rule that named one finding twice) are kept, the second key suffixed '#2'."""
    out: list[Instruction] = []
    seen: dict[str, int] = {}
    for i in items:
        i = replace(
            i,
            priority=policy_priority(i, as_of, horizon_days),
            cause_id=i.cause_id or f"{i.entity_type}:{i.entity_id}",
        )
        key = key_of(i)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            key = f"{key}#{seen[key]}"
        out.append(replace(i, instruction_key=key))
    return sorted(out, key=_order)


@dataclass(frozen=True)
class Previous:
    """An instruction of the previous night, as history.instructions holds it."""

    instruction_key: str
    priority: int
    loss: float | None
    first_seen: date | None
    nights_open: int | None
    row: Mapping[str, Any]


def _grew(now: float | None, before: float | None) -> bool:
    if now is None or before is None or not math.isfinite(now) or not math.isfinite(before):
        return False
    return now > before * (1 + ESCALATE_SHARE) and now - before > 1e-9


def track(
    items: list[Instruction], previous: Mapping[str, Previous], as_of: date
) -> tuple[list[Instruction], list[Previous]]:
    """Items with state, first_seen and nights_open; and the previous night's items that are
    gone (resolved)."""
    out: list[Instruction] = []
    for i in items:
        before = previous.get(i.instruction_key)
        if before is None:
            out.append(replace(i, state="new", first_seen=as_of, nights_open=1))
            continue
        escalated = i.priority < before.priority or _grew(i.loss, before.loss)
        out.append(
            replace(
                i,
                state="escalated" if escalated else "open",
                first_seen=before.first_seen or as_of,
                nights_open=(before.nights_open or 1) + 1,
            )
        )
    keys = {i.instruction_key for i in items}
    gone = [p for k, p in sorted(previous.items()) if k not in keys]
    return out, gone
