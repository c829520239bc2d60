"""Terminal summary of the replay audits: appeal, reversibility, spill-over, contagion (rich table)."""

from __future__ import annotations

from typing import Any

from audit.evidence import MIN_OBSERVATIONS

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
    if edu and min(edu[0]["n_wronged"], edu[-1]["n_wronged"]) >= MIN_OBSERVATIONS:
        text += f"\nremedied {pct(edu[0]['remedy_rate'])} {edu[0]['group']} vs {pct(edu[-1]['remedy_rate'])} {edu[-1]['group']}"
    elif edu and (edu[0]["n_wronged"] or edu[-1]["n_wronged"]):
        text += f"\nremedied: too few wronged ({edu[0]['n_wronged']}, {edu[-1]['n_wronged']})"
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
    sanctioned = (sec.get("absorbing") or {}).get("sanctioned")
    if isinstance(sanctioned, int) and sanctioned < MIN_OBSERVATIONS:
        share = f"— ({sanctioned} sanctioned: too few)"
    else:
        share = pct(sec["absorbing_share"]) + (f" of {sanctioned:,}" if isinstance(sanctioned, int) else "")
    absorbing = f"absorbing {share}\ncost ratio Q1/Q5 {'—' if ratio is None else f'{ratio:.2f}×'}"
    flag = "[green]✓[/]" if sec["overturn_violations"] == 0 else "[bold red]✗[/]"
    checks = f"overturn {flag} {sec['overturn_violations']}/{sec['overturn_checked']:,}"
    cap = sec.get("duration_cap_violations", 0)
    checks += f"\nover {sec.get('duration_cap_months')} mo: {cap}" + (" [bold red]✗[/]" if cap else "")
    return recovery, absorbing, checks


def _spillover(sec: dict[str, Any] | None) -> str:
    if not sec:
        return "—"
    flags = sec["proportionality"]["flag_count"]
    people = sec.get("sanctioned_people")
    if isinstance(people, int) and people < MIN_OBSERVATIONS:
        text = f"unrelated — ({people} sanctioned: too few)"
    else:
        text = f"unrelated {pct(sec['unrelated_share'])} of {sec['sanctions']:,}"
    probes = sec.get("probes") or {}
    pairs = [w for w in probes.get("spillover", []) if not w.get("related")]
    if probes:
        text += f"\nprobes: {len(pairs)} unrelated pair(s) can happen"
    return text + f"\ndisproportion flags {flags}"


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

    from audit.replay.gate import not_applicable

    names = ("appeal", "reversibility", "spillover", "contagion")
    # a precomputed score's replay sections only say it cannot be replayed (audit.replay.gate): no row
    runs = [r for r in result.runs if r.error is None
            and any(n in r.sections and r.sections[n] != not_applicable() for n in names)]
    if not runs:
        return None
    per = next(((r.sections[n].get("sample") or {}).get("per_stratum") for r in runs for n in names
                if isinstance(r.sections.get(n), dict) and r.sections[n].get("sample")), None)
    title = f"replay audits (up to {per:,} people from each stratum: sanctioned, penalised, rest)" if per else "replay audits"
    table = Table(title=title, title_justify="left")
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
        "when one friend is penalised; probes: conduct-sanction domain pairs shown on constructed people; too few: "
        f"under {MIN_OBSERVATIONS} people, not enough evidence"
    )
    return table
