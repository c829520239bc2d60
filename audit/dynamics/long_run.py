"""Variants compared on their long-run gap (``scs-audit compare --dynamics``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["long_run_comparison"]


def long_run_comparison(result: Any) -> tuple[dict[str, Any], list[str]]:
    """Label -> its long-run gaps (``dynamics.long_run_gap``), and one summary line per attribute.

    The line names each variant's gap after the last simulated year with its
    95% interval and its change since the start, narrowest gap first.
    """
    table: dict[str, Any] = {}
    for r in result.runs:
        dyn = r.sections.get("dynamics") if r.error is None else None
        if isinstance(dyn, Mapping) and dyn.get("status") == "ok":
            table[r.label] = dyn.get("long_run_gap", {})
    lines = []
    for attr in ("income_quintile", "education"):
        rows = [(v[attr], label) for label, v in table.items() if isinstance(v.get(attr), Mapping) and v[attr].get("gap") is not None]
        if not rows:
            continue
        rows.sort(key=lambda x: x[0]["gap"])
        year = rows[0][0]["year"]
        parts = []
        for g, label in rows:
            ci = g.get("gap_ci") or (float("nan"), float("nan"))
            change = g.get("gap_change")
            parts.append(f"{label} {100 * g['gap']:.1f} points (95% CI {100 * ci[0]:.1f} to {100 * ci[1]:.1f}"
                         + (f"; {100 * change:+.1f} since the start, {g.get('outcome')}" if change is not None else "") + ")")
        lines.append(f"long-run favourable-rate gap by {attr.replace('_', ' ')} after {year} year{'' if year == 1 else 's'}: " + "; ".join(parts))
    return table, lines
