"""The terminal summary of a run (rich tables)."""

from __future__ import annotations

from typing import Any

from audit.replay.summary import pct as _pct
from audit.runner import RunResult

__all__ = ["render_summary", "print_summary"]


def _esc(value: Any) -> str:
    """A plugin's or a data file's string as literal text, never rich markup."""
    from rich.markup import escape

    return escape(str(value))


def _ratio(section: dict[str, Any]) -> str:
    from audit.disparity.summary import driver_text, impact_cell

    return f"{impact_cell(section)}\n{driver_text(section)}"


def render_summary(result: RunResult):
    """A rich renderable: one row per scorer."""
    from rich.table import Table

    pop = result.population
    title = f"{_esc(pop['name'])}: {pop['size']:,} people" + (f", seed {pop['seed']}" if pop.get("seed") is not None else "")
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("scorer")
    table.add_column("tiers (best first)")
    table.add_column("favourable", justify="right")
    table.add_column("sanctioned", justify="right")
    # the first two audited attributes: income and education, or a supplied table's own (race, sex ...)
    shown = [a for a in result.layout.names if a in ("income_quintile", "education")] or list(result.layout.names)
    shown = (shown + shown[:1])[:2] if shown else []
    for a in shown:
        table.add_column("min impact ratio · " + {"income_quintile": "income"}.get(a, a))
    for r in result.runs:
        if r.error:
            table.add_row(_esc(r.label), f"[red]failed: {_esc(r.error)}[/]", "", "", *([""] * len(shown)))
            continue
        shares = r.sections["tier_shares"]
        tiers = " ".join(f"{t} {_pct(v)}" for t, v in shares.items())
        disp = r.sections["disparity"]
        first = disp[shown[0]] if shown else {"groups": []}
        total = sum(g["n"] for g in first["groups"]) or 1
        fav = sum(g["n"] * (g["favourable_rate"] or 0) for g in first["groups"]) / total
        adv = sum(g["n"] * (g["adverse_rate"] or 0) for g in first["groups"]) / total
        table.add_row(_esc(r.label), _esc(tiers), _pct(fav), _pct(adv), *(_ratio(disp[a]) for a in shown))
    table.caption = (
        "impact ratio [95% CI] = group's favourable rate / highest group's; ✗ = interval under 0.8 (four-fifths rule), "
        "? = interval straddles 0.8; second line: the rule driving the gap"
    )
    return table


def print_summary(result: RunResult, console=None) -> None:
    from rich.console import Console

    from audit.disparity.summary import render_disparity

    console = console or Console()
    console.print(render_summary(result))
    console.print(render_disparity(result))
    from audit.replay.summary import render_replay

    replay = render_replay(result)
    if replay is not None:
        console.print(replay)
