"""Report section for the dynamics simulation: does the gap between groups grow as people respond?

A line plot of the favourable-rate gap per year for each attribute (with its
95% band), the year-by-year table of gap, impact ratio and change since the
start, and the measures of who can respond: the gaming gap (bought vs earned
gains), ties lost, critical posts not made, the sanction → income loop, and
the share who changed a behaviour in the first year against the survey's range.
"""

from __future__ import annotations

from typing import Any

from audit.report.model import (
    Block,
    Cell,
    Doc,
    NotComputed,
    Paragraph,
    Section,
    Table,
    fmt_count,
    fmt_pct,
    is_number,
)
from audit.report.plots import line_chart, plot_block

__all__ = ["dynamics_section"]

_ATTRS = (("income_quintile", "income quintile"), ("education", "education"))


def _ci_text(ci: Any, pct: bool = True, signed: bool = False) -> str | None:
    if isinstance(ci, list) and len(ci) == 2 and all(is_number(x) for x in ci):
        if signed:
            return f"{100 * ci[0]:+.1f} to {100 * ci[1]:+.1f} pts"
        return f"{fmt_pct(ci[0])} to {fmt_pct(ci[1])}" if pct else f"{ci[0]:.2f} to {ci[1]:.2f}"
    return None


def _cell(value: Any, ci: Any = None, *, pct: bool = True, signed: bool = False) -> Cell:
    if not is_number(value):
        return Cell(text="—")
    text = (f"{100 * value:+.1f} pts" if signed else fmt_pct(value)) if pct else f"{value:.2f}"
    interval = _ci_text(ci, pct, signed)
    return Cell(text=text + (f" ({interval})" if interval else ""), value=value, kind="number")


def _gap_plot(doc: Doc, i: int, sid: str) -> Block:
    series = []
    rows = []
    for attr, title in _ATTRS:
        years = doc.get("scorers", i, "dynamics", "by", attr, "years")
        if not isinstance(years, list) or not years:
            continue
        ys = [y for y in years if isinstance(y, dict)]
        ci: list[list[Any]] = [y["gap_ci"] if isinstance(y.get("gap_ci"), list) else [None, None] for y in ys]
        series.append({"name": f"gap by {title}", "x": [y.get("year") for y in ys], "y": [y.get("gap") for y in ys],
                       "lo": [c[0] for c in ci], "hi": [c[1] for c in ci]})
        for y in ys:
            rows.append((Cell(text=title), Cell(text=str(y.get("year"))), _cell(y.get("gap"), y.get("gap_ci")),
                         _cell(y.get("impact_ratio"), y.get("impact_ratio_ci"), pct=False),
                         _cell(y.get("gap_change"), y.get("gap_change_ci"), signed=True)))
    if not series:
        return NotComputed(what="the favourable-rate gap over the years")
    caption = "Favourable-rate gap between the best- and worst-off groups at the start, year by year (95% band)"
    svg = line_chart(f"{sid}-gap", caption, series, xlabel="years of the scheme", ylabel="gap in favourable rate", percent=True)
    data = Table(id=f"{sid}-gap-table", caption=caption + ": gap, impact ratio and change since the start",
                 columns=("attribute", "year", "gap", "impact ratio", "change since start"), rows=tuple(rows))
    return plot_block(f"{sid}-gap", caption, svg, data)  # an empty figure is said in words


def _groups_table(doc: Doc, i: int, sid: str, attr: str, title: str) -> Block:
    sec = doc.get("scorers", i, "dynamics", "by", attr)
    if not isinstance(sec, dict) or not isinstance(sec.get("groups"), list):
        return NotComputed(what=f"dynamics by {title}")
    rows = []
    for g in sec["groups"]:
        gaming = (sec.get("gaming") or {}).get("by_group", {}).get(g, {})
        lost = (sec.get("ties_lost") or {}).get(g, {})
        chill = (sec.get("chilling") or {}).get(g, {})
        loop = (sec.get("loop") or {}).get(g, {})
        changed = (sec.get("changed_first_year") or {}).get(g, {})
        rows.append((Cell(text=str(g)), _cell(changed.get("rate"), changed.get("ci")),
                     _cell(gaming.get("bought_share"), gaming.get("ci")),
                     _cell(lost.get("mean"), lost.get("ci"), pct=False),
                     _cell(chill.get("rate"), chill.get("ci")), _cell(loop.get("rate"), loop.get("ci"))))
    verdict = (sec.get("gap_growth") or {}).get("evidence")
    return Table(id=f"{sid}-{attr}", caption=f"By {title}: who changed, who bought their gains, who was dropped (95% intervals)",
                 columns=(title, "changed a behaviour in year 1", "share of gains bought", "ties lost per person",
                          "critical posts not made", "caught in the sanction-income loop"),
                 rows=tuple(rows), note=f"Does the gap grow? {verdict}" if isinstance(verdict, str) else None)


def dynamics_section(doc: Doc, i: int, *, sid: str) -> Section:
    """The dynamics section of scorer ``i`` (not computed when the run had no ``--dynamics``)."""
    dyn = doc.get("scorers", i, "dynamics")
    title = "Dynamics: people respond to the score"
    if not isinstance(dyn, dict):
        return Section(id=sid, title=title, blocks=(NotComputed(what="dynamics", reason="run with --dynamics to simulate it"),))
    if dyn.get("status") == "failed":
        return Section(id=sid, title=title, blocks=(NotComputed(what="dynamics", reason=f"the scorer failed: {dyn.get('error')}"),))
    scheme = dyn.get("scheme") or {}
    blocks: list[Block] = [Paragraph(text=(
        f"{fmt_count(dyn.get('size', 0))} people over {dyn.get('years')} years from month {dyn.get('start_month')}. "
        f"The scheme rewards {', '.join(scheme.get('rewards') or []) or 'nothing people can add'} and penalises "
        f"{', '.join(scheme.get('penalises') or []) or 'nothing people can avoid'} (probed through the scorer)."))]
    blocks.append(_gap_plot(doc, i, sid))
    blocks += [_groups_table(doc, i, sid, attr, t) for attr, t in _ATTRS]
    iso = dyn.get("isolation") or {}
    changed = dyn.get("changed_first_year") or {}
    rng = changed.get("survey_range")
    blocks.append(Table(id=f"{sid}-overall", caption="Overall (95% intervals)", columns=("measure", "value"), rows=(
        (Cell(text="ties lost per sanctioned person"), _cell((iso.get("sanctioned") or {}).get("mean"), (iso.get("sanctioned") or {}).get("ci"), pct=False)),
        (Cell(text="ties lost per unsanctioned person"), _cell((iso.get("unsanctioned") or {}).get("mean"), (iso.get("unsanctioned") or {}).get("ci"), pct=False)),
        (Cell(text="critical posts not made"), _cell((dyn.get("chilling") or {}).get("rate"), (dyn.get("chilling") or {}).get("ci"))),
        (Cell(text="caught in the sanction-income loop"), _cell((dyn.get("loop") or {}).get("rate"), (dyn.get("loop") or {}).get("ci"))),
        (Cell(text="changed a behaviour in year 1" + (f" (survey range {fmt_pct(rng[0])}-{fmt_pct(rng[1])})" if isinstance(rng, list) and len(rng) == 2 else "")),
         _cell(changed.get("rate"), changed.get("ci"))),
    )))
    return Section(id=sid, title=title, blocks=tuple(blocks))
