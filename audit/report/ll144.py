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
from pathlib import Path
from typing import Any

from audit.report.model import Cell, Doc, Facts, NotComputed, Paragraph, Section, Table, fmt_count, fmt_pct, fmt_ratio

__all__ = ["CSV_COLUMNS", "CSV_NAME", "ll144_csv", "ll144_rows", "ll144_section", "write_ll144_csv"]

CSV_NAME = "ll144.csv"

CSV_COLUMNS = (
    "scorer", "attribute", "category", "n", "share", "excluded_from_ratios",
    "selection_rate", "selection_impact_ratio", "scoring_rate", "scoring_impact_ratio",
)

_DEFAULTS = ("income_quintile", "education", "income_quintile×education")


def _attributes(disparity: dict[str, Any]) -> list[str]:
    """The attributes reported: those the run was audited by; income and education only when nothing else was."""
    names = [a for a in disparity.get("attributes", []) if isinstance(a, str) and isinstance(disparity.get(a), dict)]
    given = [a for a in names if a not in _DEFAULTS]
    return given or names


def _has_decision(scorer: dict[str, Any]) -> bool:
    """Whether the scorer decides (some tiers favourable, some not): then a selection rate is meaningful."""
    tiers, fav = scorer.get("tiers") or [], scorer.get("favourable_tiers") or []
    return 0 < len(fav) < len(tiers)


def _group_text(group: Any) -> str:
    return " × ".join(map(str, group)) if isinstance(group, list) else str(group)


def ll144_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per scorer, attribute and category (then one for the unknown category), as in ``ll144.csv``.

    Each row also holds ``path``: where its figures are in ``results.json``
    (the disparity group, or the attribute for the unknown row).
    """
    rows: list[dict[str, Any]] = []
    for si, s in enumerate(results.get("scorers") or []):
        disparity = s.get("disparity") if isinstance(s, dict) else None
        if not isinstance(disparity, dict):
            continue
        decision = _has_decision(s)
        for attr in _attributes(disparity):
            node = disparity[attr]
            for gi, g in enumerate(node.get("groups") or []):
                excluded = bool(g.get("excluded_from_ratios"))
                rows.append({
                    "path": ("scorers", si, "disparity", attr, "groups", gi),
                    "scorer": s.get("label"), "attribute": attr, "category": _group_text(g.get("group")),
                    "n": g.get("n"), "share": g.get("share"), "excluded_from_ratios": excluded,
                    "selection_rate": g.get("favourable_rate") if decision else None,
                    "selection_impact_ratio": None if excluded or not decision else g.get("impact_ratio"),
                    "scoring_rate": g.get("scoring_rate"),
                    "scoring_impact_ratio": None if excluded else g.get("scoring_impact_ratio"),
                })
            rows.append({
                "path": ("scorers", si, "disparity", attr),
                "scorer": s.get("label"), "attribute": attr, "category": "unknown", "n": node.get("unknown_n"),
                "share": None, "excluded_from_ratios": True, "selection_rate": None, "selection_impact_ratio": None,
                "scoring_rate": None, "scoring_impact_ratio": None,
            })
    return rows


def ll144_csv(results: dict[str, Any]) -> str:
    """``ll144.csv``: :data:`CSV_COLUMNS`, numbers unrounded, blank where a figure is not defined or excluded."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in ll144_rows(results):
        writer.writerow({k: ("" if row[k] is None else row[k]) for k in CSV_COLUMNS})
    return buf.getvalue()


def write_ll144_csv(directory: str | Path, results: dict[str, Any]) -> Path:
    """Write ``DIR/ll144.csv`` (readable by the user only when the data are real, like ``results.json``)."""
    from audit.output.artefacts import atomic_write_text, exact_artefact_mode

    return atomic_write_text(Path(directory) / CSV_NAME, ll144_csv(results), mode=exact_artefact_mode(results))


def _date_range(doc: Doc) -> str:
    dates = doc.get("population", "date_range")
    if isinstance(dates, list) and len(dates) == 2:
        return f"{dates[0]} to {dates[1]}"
    if doc.get("population", "synthetic") is True:
        return "synthetic data (no dates)"
    return "not recorded in the data: state the period the records cover when publishing the summary"


def ll144_section(doc: Doc, *, sid: str = "ll144") -> Section:
    """The LL144 summary: data source and dates, then one table per scorer (for supplied data; a synthetic
    run's figures are already in its disparity tables, and ``ll144.csv``)."""
    results = doc.data if isinstance(doc.data, dict) else {}
    rows = ll144_rows(results)
    if not rows:
        return Section(id=sid, title="NYC Local Law 144 bias-audit summary",
                       blocks=(NotComputed(what="the LL144 summary", reason="no scorer has a disparity section"),))
    blocks: list[Any] = [
        Facts(id=f"{sid}-data", items=(
            ("source of the data", doc.cell("population", "source", fmt=str)),
            ("date range of the data", Cell(text=_date_range(doc))),
            ("people", doc.cell("population", "size", fmt=fmt_count)),
        )),
        Paragraph(text=(
            "Selection rate: share of a category given the favourable decision. Scoring rate: share scoring strictly "
            "above the median score of everyone. Impact ratio: a category's rate divided by the highest category's. "
            "Categories under the minimum share of people are listed but excluded from the ratios; the unknown category "
            "is counted, not dropped. The same rows are in ll144.csv."
        )),
    ]
    if doc.get("population", "synthetic") is True:
        blocks.append(Paragraph(text=(
            "The population is synthetic: its figures per category are those of each scorer's disparity tables "
            "below; ll144.csv lays them out as a published LL144 summary would."
        )))
        return Section(id=sid, title="NYC Local Law 144 bias-audit summary", blocks=tuple(blocks))
    by_scorer: dict[Any, list[dict[str, Any]]] = {}
    for r in rows:
        by_scorer.setdefault(r["scorer"], []).append(r)
    for k, (label, items) in enumerate(by_scorer.items()):
        blocks.append(_table(doc, f"{sid}-{k}", str(label), items))
    return Section(id=sid, title="NYC Local Law 144 bias-audit summary", blocks=tuple(blocks))


def _table(doc: Doc, tid: str, label: str, rows: Sequence[dict[str, Any]]) -> Table:
    """One scorer's rows; every figure's cell points into results.json."""
    decision = any(r["selection_rate"] is not None for r in rows)
    columns = ["attribute", "category", "n"]
    columns += ["selection rate", "impact ratio (selection)"] if decision else []
    columns += ["scoring rate", "impact ratio (scoring)", "excluded (< min share)"]
    dash = Cell(text="—", kind="null", title="excluded from ratios, or not defined")
    out = []
    for r in rows:
        path = r["path"]
        if r["category"] == "unknown":
            cells = [Cell(text=str(r["attribute"])), Cell(text="unknown"), doc.cell(*path, "unknown_n", fmt=fmt_count)]
            cells += [dash] * ((2 if decision else 0) + 3)
            out.append(tuple(cells))
            continue
        excluded = bool(r["excluded_from_ratios"])
        cells = [Cell(text=str(r["attribute"])), Cell(text=str(r["category"])), doc.cell(*path, "n", fmt=fmt_count)]
        if decision:
            cells += [doc.cell(*path, "favourable_rate", fmt=fmt_pct),
                      dash if excluded else doc.cell(*path, "impact_ratio", fmt=fmt_ratio)]
        cells += [doc.cell(*path, "scoring_rate", fmt=fmt_pct),
                  dash if excluded else doc.cell(*path, "scoring_impact_ratio", fmt=fmt_ratio),
                  doc.cell(*path, "excluded_from_ratios")]
        out.append(tuple(cells))
    return Table(id=tid, caption=f"LL144 summary · {label}", columns=tuple(columns), rows=tuple(out))
