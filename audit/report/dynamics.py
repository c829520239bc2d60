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
    NotComputed,
    Paragraph,
    Section,
    Table,
    fmt_count,
    fmt_pct,
    is_number,
)
from audit.report.plots import line_chart, plot_block
from audit.results.model import DynamicsAttribute, ScorerEntry
from audit.results.model.dynamics import MeanFigure, RateFigure

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


def _rate(figure: RateFigure | None) -> Cell:
    return _cell(figure["rate"], figure["ci"]) if figure is not None else _cell(None)


def _mean(figure: MeanFigure | None) -> Cell:
    return _cell(figure["mean"], figure["ci"], pct=False) if figure is not None else _cell(None)


def _gap_plot(by: dict[str, DynamicsAttribute], sid: str) -> Block:
    series = []
    rows = []
    for attr, title in _ATTRS:
        sec = by.get(attr)
        ys = sec["years"] if sec is not None and "years" in sec else []
        if not ys:
            continue
        ci: list[list[Any]] = [list(y["gap_ci"]) if y["gap_ci"] is not None else [None, None] for y in ys]
        series.append({"name": f"gap by {title}", "x": [y["year"] for y in ys], "y": [y["gap"] for y in ys],
                       "lo": [c[0] for c in ci], "hi": [c[1] for c in ci]})
        for y in ys:
            rows.append((Cell(text=title), Cell(text=str(y["year"])), _cell(y["gap"], y["gap_ci"]),
                         _cell(y["impact_ratio"], y["impact_ratio_ci"], pct=False),
                         _cell(y["gap_change"], y["gap_change_ci"], signed=True)))
    if not series:
        return NotComputed(what="the favourable-rate gap over the years")
    caption = "Favourable-rate gap between the best- and worst-off groups at the start, year by year (95% band)"
    svg = line_chart(f"{sid}-gap", caption, series, xlabel="years of the scheme", ylabel="gap in favourable rate", percent=True)
    data = Table(id=f"{sid}-gap-table", caption=caption + ": gap, impact ratio and change since the start",
                 columns=("attribute", "year", "gap", "impact ratio", "change since start"), rows=tuple(rows))
    return plot_block(f"{sid}-gap", caption, svg, data)  # an empty figure is said in words


def _groups_table(sec: DynamicsAttribute | None, sid: str, attr: str, title: str) -> Block:
    if sec is None:
        return NotComputed(what=f"dynamics by {title}")
    gaming = sec["gaming"]["by_group"] if "gaming" in sec else {}
    lost = sec["ties_lost"] if "ties_lost" in sec else {}
    chill = sec["chilling"] if "chilling" in sec else {}
    loop = sec["loop"] if "loop" in sec else {}
    changed = sec["changed_first_year"] if "changed_first_year" in sec else {}
    rows = []
    for g in sec["groups"]:
        bought = gaming.get(g)
        rows.append((Cell(text=str(g)), _rate(changed.get(g)),
                     _cell(bought["bought_share"], bought["ci"]) if bought is not None else _cell(None),
                     _mean(lost.get(g)), _rate(chill.get(g)), _rate(loop.get(g))))
    verdict = sec["gap_growth"]["evidence"] if "gap_growth" in sec else None
    return Table(id=f"{sid}-{attr}", caption=f"By {title}: who changed, who bought their gains, who was dropped (95% intervals)",
                 columns=(title, "changed a behaviour in year 1", "share of gains bought", "ties lost per person",
                          "critical posts not made", "caught in the sanction-income loop"),
                 rows=tuple(rows), note=f"Does the gap grow? {verdict}" if verdict is not None else None)


def dynamics_section(entry: ScorerEntry, *, sid: str) -> Section:
    """The dynamics section of the scorer ``entry`` (not computed when the run had no ``--dynamics``).

    Its cells carry no pointer: the figures are shown with their intervals in one text, as the simulation's
    own summary (the results file holds each figure under ``dynamics``)."""
    title = "Dynamics: people respond to the score"
    if "dynamics" not in entry:
        return Section(id=sid, title=title, blocks=(NotComputed(what="dynamics", reason="run with --dynamics to simulate it"),))
    dyn = entry["dynamics"]
    if dyn["status"] == "failed":
        return Section(id=sid, title=title, blocks=(NotComputed(what="dynamics", reason=f"the scorer failed: {dyn['error']}"),))
    scheme = dyn["scheme"] if "scheme" in dyn else None
    rewards = scheme["rewards"] if scheme is not None else []
    penalises = scheme["penalises"] if scheme is not None else []
    blocks: list[Block] = [Paragraph(text=(
        f"{fmt_count(dyn['size'])} people over {dyn['years']} years from month {dyn['start_month']}. "
        f"The scheme rewards {', '.join(rewards) or 'nothing people can add'} and penalises "
        f"{', '.join(penalises) or 'nothing people can avoid'} (probed through the scorer)."))]
    blocks.append(_gap_plot(dyn["by"], sid))
    blocks += [_groups_table(dyn["by"].get(attr), sid, attr, t) for attr, t in _ATTRS]
    iso = dyn["isolation"]
    changed = dyn["changed_first_year"]
    rng = changed["survey_range"]
    blocks.append(Table(id=f"{sid}-overall", caption="Overall (95% intervals)", columns=("measure", "value"), rows=(
        (Cell(text="ties lost per sanctioned person"), _mean(iso.get("sanctioned"))),
        (Cell(text="ties lost per unsanctioned person"), _mean(iso.get("unsanctioned"))),
        (Cell(text="critical posts not made"), _rate(dyn["chilling"])),
        (Cell(text="caught in the sanction-income loop"), _rate(dyn["loop"])),
        (Cell(text="changed a behaviour in year 1" + (f" (survey range {fmt_pct(rng[0])}-{fmt_pct(rng[1])})" if len(rng) == 2 else "")),
         _rate(changed)),
    )))
    return Section(id=sid, title=title, blocks=tuple(blocks))
