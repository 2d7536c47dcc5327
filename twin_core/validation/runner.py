"""Run one source's checks through Great Expectations and read back the outcomes.

Grain: one GX validation (query asset ``select * from raw.<source> where _batch_id = '<id>'``)
per source per run; one ``ExpectationOutcome`` per check.

Query assets, not table assets: GX 1.24 table assets ignore ``schema_name`` in one metric
query, so on ``raw.*`` every expectation raises (docs/definitions.md, known traps). The batch id is
written into the query text, so it must be a safe token (``gx_context.safe_token``).
"""

from __future__ import annotations

from typing import Any

from twin_core.validation.checks import UNEXPECTED_ROWS, Check
from twin_core.validation.gx_context import GxSession, safe_token
from twin_core.validation.results import ExpectationOutcome, details_text
from twin_core.warehouse import quote_ident


def batch_query(source: str, batch_id: str) -> str:
    return f"select * from raw.{quote_ident(source)} where _batch_id = '{safe_token(batch_id)}'"


def _raised(exception_info: Any) -> tuple[bool, str]:
    """Whether GX says the expectation itself failed to run, and the messages.

    GX reports either one ``{raised_exception, exception_message, ...}`` dict or one such
    dict per metric it tried to compute, keyed by the metric's id.
    """
    if not isinstance(exception_info, dict):
        return False, ""
    if "raised_exception" in exception_info:
        if exception_info.get("raised_exception"):
            return True, str(exception_info.get("exception_message") or "raised")
        return False, ""
    messages = [
        str(v.get("exception_message") or "raised")
        for v in exception_info.values()
        if isinstance(v, dict) and v.get("raised_exception")
    ]
    return bool(messages), "; ".join(messages)


def _expectation_text(check: Check) -> str:
    if check.kind == UNEXPECTED_ROWS:
        return f"{check.kind}: {check.gx_kwargs.get('description', check.rule)}"
    shown = {k: v for k, v in check.gx_kwargs.items() if k != "column_list"}
    args = ", ".join(f"{k}={v}" for k, v in shown.items())
    return f"{check.kind}({args})"


def outcome(check: Check, result: Any, rows: int) -> ExpectationOutcome:
    """An ExpectationOutcome from a GX ExpectationValidationResult."""
    raised, message = _raised(result.exception_info)
    values: dict[str, Any] = dict(result.result or {})
    unexpected: int | None
    if raised:
        unexpected = None
    elif check.gx_type == UNEXPECTED_ROWS:
        unexpected = int(values.get("observed_value") or 0)
    else:
        raw = values.get("unexpected_count")
        unexpected = int(raw) if raw is not None else None
    percent = values.get("unexpected_percent")
    if percent is None and unexpected is not None and check.level == "row" and rows:
        percent = 100.0 * unexpected / rows
    element_count = values.get("element_count", rows)
    if raised:
        details = message
    elif result.success:
        details = (
            details_text({"observed_value": values["observed_value"]})
            if ("observed_value" in values and check.gx_type != UNEXPECTED_ROWS)
            else ""
        )
    else:
        shown: dict[str, Any] = {
            k: values[k] for k in ("observed_value", "partial_unexpected_list") if k in values
        }
        if "partial_unexpected_list" in shown:
            shown["partial_unexpected_list"] = shown["partial_unexpected_list"][:5]
        details = details_text(shown)
    return ExpectationOutcome(
        source=check.source,
        rule=check.rule,
        expectation=_expectation_text(check),
        level=check.level,
        severity=check.severity,
        success=bool(result.success) and not raised,
        raised=raised,
        element_count=int(element_count) if element_count is not None else None,
        unexpected_count=unexpected,
        unexpected_percent=float(percent) if percent is not None else None,
        details=details,
    )


def run_source(
    session: GxSession, source: str, batch_id: str, checks: list[Check], rows: int
) -> list[ExpectationOutcome]:
    """Validate one source of a batch with GX; one outcome per check, in check order."""
    result = session.validate(
        source, batch_query(source, batch_id), [c.expectation() for c in checks]
    )
    by_rule: dict[str, Any] = {}
    for r in result.results:
        by_rule[str(r.expectation_config.meta["rule"])] = r
    missing = [c.rule for c in checks if c.rule not in by_rule]
    if missing:
        raise RuntimeError(f"{source}: GX returned no result for {', '.join(missing)}")
    return [outcome(c, by_rule[c.rule], rows) for c in checks]
