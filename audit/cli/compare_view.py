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

__all__ = ["render_compare", "verdict_word"]


def _esc(value: Any) -> str:
    from rich.markup import escape

    return escape(str(value))


def verdict_word(m: dict[str, Any], record: dict[str, Any], reference: str) -> tuple[str, str]:
    """``(word, rich style)`` of one measure for the variant against ``reference``."""
    if record.get("difference_ci") is None:
        return "undetermined (no interval)", "dim"
    winner = record.get("winner")
    if winner is None:
        return NO_DIFFERENCE, ""
    if winner == reference:
        return "costs", "yellow"
    return ("fairer" if m.get("fairness") else "better"), "green"


def _difference(m: dict[str, Any], d: Any, ci: Any, digits: int) -> str:
    if d is None:
        return "—"
    scale, unit = (100.0, " pts") if m.get("percent") else (1.0, "")
    text = f"{scale * d:+.{digits}f}{unit}"
    if isinstance(ci, list) and len(ci) == 2:
        text += f"\n({scale * ci[0]:+.{digits}f} to {scale * ci[1]:+.{digits}f})"
    return text


def render_compare(doc: dict[str, Any]) -> list[Any]:
    """Rich renderables: one table per variant against the reference, then any failure line."""
    from rich import box
    from rich.table import Table

    ref = doc.get("reference")
    measures = [m for m in doc.get("measures") or [] if isinstance(m, dict) and "key" in m]
    out: list[Any] = []
    for pair in doc.get("pairs") or []:
        if not isinstance(pair, dict) or pair.get("a") != ref:
            continue
        b = pair.get("b")
        table = Table(title=f"{_esc(b)} against {_esc(ref)}", title_justify="left", box=box.SIMPLE_HEAD, show_edge=False,
                      pad_edge=False, padding=(0, 1, 0, 0))
        table.add_column("measure", overflow="fold", min_width=20)
        table.add_column("reference", justify="right", overflow="fold")
        table.add_column("variant", justify="right", overflow="fold")
        table.add_column("difference\n(95% interval)", justify="right", overflow="fold")
        table.add_column("verdict", overflow="fold", max_width=14)
        for m in measures:
            r = (pair.get("measures") or {}).get(m["key"])
            if not isinstance(r, dict):
                continue
            k = record_decimals(m, r)  # no non-zero figure printed as 0
            word, style = verdict_word(m, r, str(ref))
            table.add_row(_esc(m.get("title", m["key"])), fmt_value(m, r.get("a"), k), fmt_value(m, r.get("b"), k),
                          _difference(m, r.get("difference"), r.get("difference_ci"), k),
                          f"[{style}]{word}[/]" if style else word)
        table.caption = (f"reference: {_esc(ref)}; variant: {_esc(b)}; difference = variant minus reference. "
                         "fairer, better or costs only when the paired 95% interval excludes zero.")
        table.caption_justify = "left"
        out += [table, ""]
    if not out:
        reason = (doc.get("paired") or {}).get("reason") or "fewer than two variants"
        out.append(f"no paired comparison: {_esc(reason)}")
    return out
