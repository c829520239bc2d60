"""What ``scs-audit compare`` prints: one table per variant against the reference, not a paragraph.

Rows are the measures; columns the reference's value, the variant's, the
paired difference with its 95% interval, and the verdict. "fairer" (or
"better") and "costs" are said only when the paired interval excludes zero;
otherwise "no measurable difference". Values carry enough decimals that a
difference shown is visible (:func:`audit.report.compare.decimals`).
"""

from __future__ import annotations

from typing import Any

from audit.report.compare import NO_DIFFERENCE, fmt_value, record_decimals
from audit.results.model.compare import CompareDocument, MeasureRecord, MeasureSpec

__all__ = ["render_compare", "verdict_word"]


def _esc(value: Any) -> str:
    from rich.markup import escape

    return escape(str(value))


def verdict_word(m: MeasureSpec, record: MeasureRecord, reference: str) -> tuple[str, str]:
    """``(word, rich style)`` of one measure for the variant against ``reference``."""
    if record["difference_ci"] is None:
        return "undetermined (no interval)", "dim"
    winner = record["winner"]
    if winner is None:
        return NO_DIFFERENCE, ""
    if winner == reference:
        return "costs", "yellow"
    return ("fairer" if m["fairness"] else "better"), "green"


def _difference(m: MeasureSpec, d: float | None, ci: list[float] | None, digits: int) -> str:
    if d is None:
        return "—"
    scale, unit = (100.0, " pts") if m["percent"] else (1.0, "")
    text = f"{scale * d:+.{digits}f}{unit}"
    if isinstance(ci, list) and len(ci) == 2:
        text += f"\n({scale * ci[0]:+.{digits}f} to {scale * ci[1]:+.{digits}f})"
    return text


def render_compare(doc: CompareDocument) -> list[Any]:
    """Rich renderables: one table per variant against the reference, then any failure line."""
    from rich import box
    from rich.table import Table

    ref = doc["reference"]
    measures = doc["measures"]
    out: list[Any] = []
    for pair in doc["pairs"]:
        if pair["a"] != ref:
            continue
        b = pair["b"]
        table = Table(title=f"{_esc(b)} against {_esc(ref)}", title_justify="left", box=box.SIMPLE_HEAD, show_edge=False,
                      pad_edge=False, padding=(0, 1, 0, 0))
        table.add_column("measure", overflow="fold", min_width=20)
        table.add_column("reference", justify="right", overflow="fold")
        table.add_column("variant", justify="right", overflow="fold")
        table.add_column("difference\n(95% interval)", justify="right", overflow="fold")
        table.add_column("verdict", overflow="fold", max_width=14)
        for m in measures:
            if m["key"] not in pair["measures"]:
                continue
            r = pair["measures"][m["key"]]
            k = record_decimals(m, r)  # no non-zero figure printed as 0
            word, style = verdict_word(m, r, ref)
            table.add_row(_esc(m["title"]), fmt_value(m, r["a"], k), fmt_value(m, r["b"], k),
                          _difference(m, r["difference"], r["difference_ci"], k),
                          f"[{style}]{word}[/]" if style else word)
        table.caption = (f"reference: {_esc(ref)}; variant: {_esc(b)}; difference = variant minus reference. "
                         "fairer, better or costs only when the paired 95% interval excludes zero.")
        table.caption_justify = "left"
        out += [table, ""]
    if not out:
        paired = doc["paired"]
        reason = paired["reason"] if "reason" in paired and paired["reason"] else "fewer than two variants"
        out.append(f"no paired comparison: {_esc(reason)}")
    return out
