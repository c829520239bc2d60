"""Terminal rendering of the disparity section: worst impact ratio, its interval, the rule behind it."""

from __future__ import annotations

from typing import Any

__all__ = ["impact_cell", "render_disparity", "driver_text"]

_VERDICT_STYLE = {"violation": "[bold red]violation[/]", "inconclusive": "[yellow]not enough evidence[/]",
                  "no violation": "no violation"}


def _esc(value: Any) -> str:
    """A plugin's or a data file's string as literal text, never rich markup."""
    from rich.markup import escape

    return escape(str(value))


def _label(group: Any) -> str:
    if isinstance(group, (list, tuple)):
        return _esc("×".join(str(g) for g in group))
    return _esc(group)


def _interval(ci: list[float] | None) -> str:
    return "" if not ci else f" [{ci[0]:.2f}, {ci[1]:.2f}]"


def impact_cell(section: dict[str, Any]) -> str:
    """``0.62 [0.58, 0.66] (1 vs 5) ✗`` for one attribute; ``—`` when undefined."""
    r = section.get("min_impact_ratio")
    if r is None:
        return "—"
    verdict = section.get("four_fifths_verdict")
    flag = " [bold red]✗[/]" if verdict == "violation" else (" [yellow]?[/]" if verdict == "inconclusive" else "")
    worst, ref = section.get("worst_group"), section.get("reference_group")
    return f"{r:.2f}{_interval(section.get('min_impact_ratio_ci'))} ({_label(worst)} vs {_label(ref)}){flag}"


def driver_text(section: dict[str, Any]) -> str:
    """``court_judgment_default (64% of gap)``, or that no rule explains most of the gap, or why there is no attribution."""
    d = section.get("driver") or {}
    rule = d.get("rule")
    if rule is None:
        largest, share, remains = d.get("largest_rule"), d.get("largest_share"), d.get("remaining_share")
        if largest is not None and share is not None:
            rest = f"; {100 * remains:.0f}% remains without any rule" if remains is not None else ""
            return f"[dim]no rule explains most (largest: {_esc(largest)}, {100 * share:.0f}%{rest})[/]"
        return f"[dim]{_esc(d['reason'])}[/]" if d.get("reason") else "—"
    share = d.get("share_of_gap")
    if share is None:
        return _esc(rule)
    why = ": other rules narrow it" if share > 1 else ""
    return _esc(rule) + f" ({100 * share:.0f}% of gap{why})"


def render_disparity(result):
    """A rich table: per scorer and audited attribute, the worst impact ratio, its interval, verdict and driver."""
    from rich.table import Table

    table = Table(title="disparity: worst impact ratio per attribute", title_justify="left")
    for col, kw in (
        ("scorer", {}),
        ("attribute", {}),
        ("impact ratio [95% CI] (worst vs best)", {}),
        ("four-fifths", {}),
        ("LL144 scoring-rate ratio", {"justify": "right"}),
        ("rule driving the gap", {}),
    ):
        table.add_column(col, **kw)
    median_note = None
    for r in result.runs:
        if r.error or "disparity" not in r.sections:
            continue
        disp = r.sections["disparity"]
        median_note = median_note or disp.get("median_note")
        for i, key in enumerate(disp.get("attributes", [])):
            sec = disp[key]
            sir = sec.get("min_scoring_impact_ratio")
            table.add_row(
                _esc(r.label) if i == 0 else "",
                _esc(key),
                impact_cell(sec),
                _VERDICT_STYLE.get(sec.get("four_fifths_verdict"), "—"),
                "—" if sir is None else f"{sir:.2f}{_interval(sec.get('min_scoring_impact_ratio_ci'))}",
                driver_text(sec),
            )
    table.caption = (
        "impact ratio = group's favourable rate / highest eligible group's; violation = whole interval under 0.8, "
        "inconclusive = not enough evidence (the interval straddles 0.8, a group has under 30 people or the reference "
        "group under 10 favourable outcomes; never a pass). " + _esc(median_note or "")
    )
    return table
