"""The fault table: one row per injected fault (what it was, what happened, rows lost), as the
suite observed it. ``scripts/reliability_table.py`` turns it into the table of
docs/reliability.md, so the page shows what the last run of the suite saw, never a hand-written claim.

Grain: one row per fault; a session's rows replace the earlier rows of the kinds it ran. Written to
``$TWIN_FAULT_TABLE`` or ``bench-out/reliability.json``.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT = REPO / "bench-out" / "reliability.json"

# Sections of the table, in the order docs/reliability.md shows them (scripts/reliability_table.py has
# a heading for each; a kind it does not know is shown after these under its own name).
KINDS = ("crash", "kill", "input", "damaged", "files", "concurrency")


@dataclass(frozen=True)
class Fault:
    kind: str  # one of KINDS
    fault: str
    happened: str
    rows_lost: int
    seconds: float = 0.0


def path() -> Path:
    return Path(os.environ.get("TWIN_FAULT_TABLE", str(DEFAULT)))


@dataclass
class FaultTable:
    rows: list[Fault] = field(default_factory=list)

    def add(self, fault: Fault) -> None:
        # Any kind: one not in KINDS gets a section of its own (scripts/reliability_table.py).
        assert fault.kind and fault.kind.isidentifier(), fault.kind
        self.rows.append(fault)

    def write(self, target: Path | None = None) -> Path | None:
        """Merge this session's rows into the table file (nothing to write: no file touched)."""
        if not self.rows:
            return None
        target = target or path()
        target.parent.mkdir(parents=True, exist_ok=True)
        old = json.loads(target.read_text(encoding="utf-8")) if target.exists() else {}
        # A kind this session ran replaces that kind's earlier rows (a renamed or removed fault
        # must not linger); kinds it did not run (a partial run, -k) keep theirs.
        ran = {r.kind for r in self.rows}
        faults = [r for r in old.get("faults", []) if r["kind"] not in ran]
        faults += [asdict(r) for r in self.rows]
        doc = {
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "faults": faults,
        }
        target.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        return target
