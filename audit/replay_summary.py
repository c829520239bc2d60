"""Terminal summary of the replay audits: appeal, reversibility, spill-over, contagion (rich table)."""

from __future__ import annotations

from typing import Any

__all__ = ["render_replay"]


def pct(x: Any) -> str:
    """A share as a percentage with one decimal; ``—`` when missing."""
    return "—" if x is None else f"{100 * x:.1f}%"


def _months(x: Any) -> str:
    return "never" if x is None else f"{x:g} mo"


def _appeal(sec: dict[str, Any] | None) -> str:
    if not sec:
        return "—"
    if not sec.get("available", False):
        return "no ground truth"
    o = sec["overall"]
    text = f"wrongful {pct(o['wrongful_sanction_rate_before'])} → {pct(o['wrongful_sanction_rate_after'])}"
    edu = sec.get("by_education") or []
    if edu and edu[0]["n_wronged"] and edu[-1]["n_wronged"]:
        text += f"\nremedied {pct(edu[0]['remedy_rate'])} {edu[0]['group']} vs {pct(edu[-1]['remedy_rate'])} {edu[-1]['group']}"
    return text


def _reversibility(sec: dict[str, Any] | None) -> tuple[str, str, str]:
    if not sec:
        return "—", "—", "—"
    rec = sec["recovery"]
    if rec["n"]:
        recovery = f"median {_months(rec['median_months'])}, never {pct(rec['never_share'])}\n(n={rec['n']:,})"
    else:
        recovery = "no penalties sampled"
    ratio = sec.get("recourse_cost_ratio")
    absorbing = f"absorbing {pct(sec['absorbing_share'])}\ncost ratio Q1/Q5 {'—' if ratio is None else f'{ratio:.2f}×'}"
    flag = "[green]✓[/]" if sec["overturn_violations"] == 0 else "[bold red]✗[/]"
    checks = f"overturn {flag} {sec['overturn_violations']}/{sec['overturn_checked']:,}"
    cap = sec.get("duration_cap_violations", 0)
    checks += f"\nover {sec.get('duration_cap_months')} mo: {cap}" + (" [bold red]✗[/]" if cap else "")
    return recovery, absorbing, checks


def _spillover(sec: dict[str, Any] | None) -> str:
    if not sec:
        return "—"
    flags = sec["proportionality"]["flag_count"]
    return f"unrelated {pct(sec['unrelated_share'])} of {sec['sanctions']:,}\ndisproportion flags {flags}"


def _contagion(sec: dict[str, Any] | None) -> str:
    if not sec or not sec.get("applicable"):
        return "n/a (no ties)"
    o = sec["overall"]
    change = o["mean_score_change"]
    return f"{'—' if change is None else f'{change:+.2f}'} points\ntier worse {pct(o['tier_change_share'])}"


def render_replay(result):
    """A rich table with one row per scorer, or ``None`` when no replay audit ran."""
    from rich.markup import escape
    from rich.table import Table

    names = ("appeal", "reversibility", "spillover", "contagion")
    runs = [r for r in result.runs if r.error is None and any(n in r.sections for n in names)]
    if not runs:
        return None
    size = next((r.sections[n].get("sample_size") for r in runs for n in names if r.sections.get(n, {}).get("sample_size")), None)
    table = Table(title=f"replay audits ({size:,} people sampled)" if size else "replay audits", title_justify="left")
    for col in ("scorer", "appeal", "recovery", "absorbing · cost", "checks", "spill-over", "contagion"):
        table.add_column(col)
    for r in runs:
        s = r.sections
        table.add_row(escape(r.label), _appeal(s.get("appeal")), *_reversibility(s.get("reversibility")),
                      _spillover(s.get("spillover")), _contagion(s.get("contagion")))
    table.caption = (
        "appeal: wrongful = sanctioned only because of misrecorded events, before → after appeals; recovery: months "
        "after a first penalty with the best feasible behaviour; absorbing: sanctioned people no feasible plan frees; "
        "cost ratio: poorest to richest quintile's median least-cost recourse (months of income); checks: overturn ✗ = "
        "the scorer remembers removed events, over N mo = sanctions outlasting the statutory cap; contagion: change "
        "when one friend is penalised"
    )
    return table
