"""The NYC Local Law 144 bias-audit summary of a run: a report section and ``ll144.csv``.

Laid out as the DCWP rules ask a published summary to be (6 RCNY 5-301,
5-303): the source of the data and its date range; per category of sex,
race/ethnicity (here: every attribute the run was audited by) and their
intersection, the number of people, the selection rate (share given the
favourable decision, when the scores come with one) and the scoring rate
(share scoring strictly above the median score of everyone), each with its
impact ratio against the highest category; categories under 2% of people
(``--min-cell-share``) listed with their counts but left out of the ratios;
and the number of people in the unknown category. Every figure is read from
the disparity section of ``results.json``; none is computed here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from audit.report.model import (
    Cell,
    Facts,
    NotComputed,
    Paragraph,
    Ptr,
    Section,
    Table,
    cell,
    fmt_count,
    fmt_pct,
    fmt_ratio,
)
from audit.results.model import (
    AttributeDisparity,
    DisparityGroup,
    DisparitySection,
    PopulationInfo,
    ResultsDocument,
    ScorerEntry,
)

__all__ = ["CSV_COLUMNS", "CSV_NAME", "Row", "ll144_csv", "ll144_rows", "ll144_section", "write_ll144_csv"]

CSV_NAME = "ll144.csv"

CSV_COLUMNS = (
    "scorer", "attribute", "category", "n", "share", "excluded_from_ratios",
    "selection_rate", "selection_impact_ratio", "scoring_rate", "scoring_impact_ratio",
)

_DEFAULTS = ("income_quintile", "education", "income_quintile×education")

@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    """One row of the summary: a category of one attribute of one scorer, or the attribute's unknown category."""

    scorer: str
    """The scorer's label."""
    attribute: str
    """The audited attribute."""
    category: str
    """The category as text (an intersection's parts joined by " × "); ``unknown`` for the unknown row."""
    decision: bool
    """Whether the scorer decides (some tiers favourable, some not), so a selection rate is meaningful."""
    node: AttributeDisparity
    """The attribute's disparity section."""
    group: DisparityGroup | None
    """The category's group record; ``None`` for the unknown row."""
    at: Ptr
    """Where ``group`` (or, for the unknown row, ``node``) is in ``results.json``."""

    def csv(self) -> dict[str, Any]:
        """The row as ``ll144.csv`` writes it (``None`` where a figure is not defined or excluded)."""
        if self.group is None:
            return {"scorer": self.scorer, "attribute": self.attribute, "category": "unknown",
                    "n": self.node["unknown_n"], "share": None, "excluded_from_ratios": True, "selection_rate": None,
                    "selection_impact_ratio": None, "scoring_rate": None, "scoring_impact_ratio": None}
        g = self.group
        excluded = g["excluded_from_ratios"]
        return {
            "scorer": self.scorer, "attribute": self.attribute, "category": self.category,
            "n": g["n"], "share": g["share"], "excluded_from_ratios": excluded,
            "selection_rate": g["favourable_rate"] if self.decision else None,
            "selection_impact_ratio": None if excluded or not self.decision else g["impact_ratio"],
            "scoring_rate": g["scoring_rate"],
            "scoring_impact_ratio": None if excluded else g["scoring_impact_ratio"],
        }


def _attributes(disparity: DisparitySection) -> list[str]:
    """The attributes reported: those the run was audited by; income and education only when nothing else was."""
    sections = cast(dict[str, Any], disparity)
    names = [a for a in disparity["attributes"] if isinstance(sections.get(a), dict)]
    given = [a for a in names if a not in _DEFAULTS]
    return given or names


def _has_decision(scorer: ScorerEntry) -> bool:
    """Whether the scorer decides (some tiers favourable, some not): then a selection rate is meaningful."""
    return 0 < len(scorer["favourable_tiers"]) < len(scorer["tiers"])


def _group_text(group: Any) -> str:
    return " × ".join(map(str, group)) if isinstance(group, list) else str(group)


def ll144_rows(results: ResultsDocument) -> list[Row]:
    """One row per scorer, attribute and category (then one for the unknown category), as in ``ll144.csv``."""
    rows: list[Row] = []
    for si, s in enumerate(results["scorers"]):
        if "disparity" not in s:
            continue
        disparity, decision, label = s["disparity"], _has_decision(s), s["label"]
        for attr in _attributes(disparity):
            node = cast(AttributeDisparity, cast(dict[str, Any], disparity)[attr])
            at = Ptr("results", ("scorers", si, "disparity", attr))
            for gi, g in enumerate(node["groups"]):
                rows.append(Row(scorer=label, attribute=attr, category=_group_text(g["group"]), decision=decision,
                                node=node, group=g, at=at / "groups" / gi))
            rows.append(Row(scorer=label, attribute=attr, category="unknown", decision=decision, node=node, group=None,
                            at=at))
    return rows


def ll144_csv(results: ResultsDocument) -> str:
    """``ll144.csv``: :data:`CSV_COLUMNS`, numbers unrounded, blank where a figure is not defined or excluded."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in ll144_rows(results):
        values = row.csv()
        writer.writerow({k: ("" if values[k] is None else values[k]) for k in CSV_COLUMNS})
    return buf.getvalue()


def write_ll144_csv(directory: str | Path, results: ResultsDocument) -> Path:
    """Write ``DIR/ll144.csv`` (readable by the user only when the data are real, like ``results.json``)."""
    from audit.output.artefacts import atomic_write_text, exact_artefact_mode

    return atomic_write_text(Path(directory) / CSV_NAME, ll144_csv(results), mode=exact_artefact_mode(results))


def _date_range(population: PopulationInfo) -> str:
    dates = population["date_range"] if "date_range" in population else None
    if dates is not None and len(dates) == 2:
        return f"{dates[0]} to {dates[1]}"
    if population["synthetic"]:
        return "synthetic data (no dates)"
    return "not recorded in the data: state the period the records cover when publishing the summary"


def ll144_section(results: ResultsDocument, *, sid: str = "ll144") -> Section:
    """The LL144 summary: data source and dates, then one table per scorer (for supplied data; a synthetic
    run's figures are already in its disparity tables, and ``ll144.csv``)."""
    rows = ll144_rows(results)
    if not rows:
        return Section(id=sid, title="NYC Local Law 144 bias-audit summary",
                       blocks=(NotComputed(what="the LL144 summary", reason="no scorer has a disparity section"),))
    population = results["population"]
    pop = Ptr("results", ("population",))
    blocks: list[Any] = [
        Facts(id=f"{sid}-data", items=(
            ("source of the data", cell(population["source"], pop / "source", fmt=str)),
            ("date range of the data", Cell(text=_date_range(population))),
            ("people", cell(population["size"], pop / "size", fmt=fmt_count)),
        )),
        Paragraph(text=(
            "Selection rate: share of a category given the favourable decision. Scoring rate: share scoring strictly "
            "above the median score of everyone. Impact ratio: a category's rate divided by the highest category's. "
            "Categories under the minimum share of people are listed but excluded from the ratios; the unknown category "
            "is counted, not dropped. The same rows are in ll144.csv."
        )),
    ]
    if population["synthetic"]:
        blocks.append(Paragraph(text=(
            "The population is synthetic: its figures per category are those of each scorer's disparity tables "
            "below; ll144.csv lays them out as a published LL144 summary would."
        )))
        return Section(id=sid, title="NYC Local Law 144 bias-audit summary", blocks=tuple(blocks))
    by_scorer: dict[str, list[Row]] = {}
    for r in rows:
        by_scorer.setdefault(r.scorer, []).append(r)
    for k, (label, items) in enumerate(by_scorer.items()):
        blocks.append(_table(f"{sid}-{k}", label, items))
    return Section(id=sid, title="NYC Local Law 144 bias-audit summary", blocks=tuple(blocks))


def _table(tid: str, label: str, rows: Sequence[Row]) -> Table:
    """One scorer's rows; every figure's cell points into results.json."""
    decision = any(r.csv()["selection_rate"] is not None for r in rows)
    columns = ["attribute", "category", "n"]
    columns += ["selection rate", "impact ratio (selection)"] if decision else []
    columns += ["scoring rate", "impact ratio (scoring)", "excluded (< min share)"]
    dash = Cell(text="—", kind="null", title="excluded from ratios, or not defined")
    out = []
    for r in rows:
        at, g = r.at, r.group
        if g is None:
            cells = [Cell(text=r.attribute), Cell(text="unknown"),
                     cell(r.node["unknown_n"], at / "unknown_n", fmt=fmt_count)]
            cells += [dash] * ((2 if decision else 0) + 3)
            out.append(tuple(cells))
            continue
        excluded = g["excluded_from_ratios"]
        cells = [Cell(text=r.attribute), Cell(text=r.category), cell(g["n"], at / "n", fmt=fmt_count)]
        if decision:
            cells += [cell(g["favourable_rate"], at / "favourable_rate", fmt=fmt_pct),
                      dash if excluded else cell(g["impact_ratio"], at / "impact_ratio", fmt=fmt_ratio)]
        cells += [cell(g["scoring_rate"], at / "scoring_rate", fmt=fmt_pct),
                  dash if excluded else cell(g["scoring_impact_ratio"], at / "scoring_impact_ratio",
                                             fmt=fmt_ratio),
                  cell(g["excluded_from_ratios"], at / "excluded_from_ratios")]
        out.append(tuple(cells))
    return Table(id=tid, caption=f"LL144 summary · {label}", columns=tuple(columns), rows=tuple(out))
