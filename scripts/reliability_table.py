"""Render the fault table the reliability suite wrote into docs/reliability.md.

    .venv/bin/python scripts/reliability_table.py                 # print the markdown table
    .venv/bin/python scripts/reliability_table.py --write docs/reliability.md

Reads ``$TWIN_FAULT_TABLE`` or ``bench-out/reliability.json`` (written by
``pytest tests/reliability``, see tests/reliability/faulttable.py) and replaces the text
between ``<!-- reliability:start -->`` and ``<!-- reliability:end -->``. Nothing in the
table is typed by hand: run the suite (``make reliability`` does both).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
START, END = "<!-- reliability:start -->", "<!-- reliability:end -->"
HEADINGS = {
    "crash": "Nightly killed (SIGKILL) at a crash point (`TWIN_CRASH_AT`), then run again",
    "kill": "Nightly killed (SIGKILL) at random moments, then run again",
    "input": "Hostile and broken input, all in one batch",
    "damaged": "Damaged and half-written files, all in one batch",
    "concurrency": "Concurrency",
    "files": "Damaged or foreign files in TWIN_HOME (the warehouse, what sits beside plant.duckdb)",
}


def _cell(text: object) -> str:
    """A table cell: reasons quote extracts, so ``<``, ``>`` and ``&`` outside code spans become
    entities (inside backticks they already show as typed), ``|`` and newlines cannot break
    the row."""
    parts = str(text).replace("|", "\\|").replace("\n", "\\n").split("`")
    for i in range(0, len(parts), 2):  # outside `code`
        parts[i] = html.escape(parts[i], quote=False)
    return "`".join(parts)


def render(doc: dict[str, object]) -> str:
    faults = doc.get("faults")
    if not isinstance(faults, list) or not faults:
        raise SystemExit("the fault table is empty: run `pytest tests/reliability` first")
    lines = [f"Written by the suite at {doc.get('written_at')}.", ""]
    # Kinds without a heading here (a new test file's) come last, under their own name.
    extra = sorted({str(f["kind"]) for f in faults} - set(HEADINGS))
    for kind, heading in [*HEADINGS.items(), *((k, k.capitalize()) for k in extra)]:
        rows = [f for f in faults if f["kind"] == kind]
        if not rows:
            continue
        lines += [f"**{heading}**", "", "| fault | what happened | rows lost |", "|---|---|---:|"]
        lines += [
            f"| {_cell(r['fault'])} | {_cell(r['happened'])} | {r['rows_lost']} |" for r in rows
        ]
        lines.append("")
    return "\n".join(lines)


def replace_section(text: str, table: str) -> str:
    if START not in text or END not in text:
        raise SystemExit(f"no {START} ... {END} markers in the file")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table}{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="markdown file whose section to replace")
    args = parser.parse_args(argv)
    source = Path(os.environ.get("TWIN_FAULT_TABLE", REPO / "bench-out" / "reliability.json"))
    if not source.exists():
        raise SystemExit(f"{source} not found: run `pytest tests/reliability` first")
    table = render(json.loads(source.read_text(encoding="utf-8")))
    if args.write is None:
        sys.stdout.write(table)
        return 0
    args.write.write_text(
        replace_section(args.write.read_text(encoding="utf-8"), table), encoding="utf-8"
    )
    print(f"updated the Reliability table in {args.write}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
