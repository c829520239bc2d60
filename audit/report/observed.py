"""The report's observed-outcome section: error rates by group and calibration (:mod:`audit.disparity.observed`).

Labelled "observed outcome" throughout: the outcome was itself recorded by
people and can be biased the way the score is.
"""

from __future__ import annotations

from typing import Any

from audit.report.model import Block, Cell, Doc, NotComputed, Paragraph, Section, Table, fmt_count, fmt_pct, fmt_ratio
from audit.report.observed_findings import equalized_odds_evidence
from audit.report.tables import value_cell

__all__ = ["observed_section"]

_METRICS = (
    ("selection_rate", "selection rate"),
    ("false_positive_rate", "false positive rate"),
    ("false_negative_rate", "false negative rate"),
    ("true_positive_rate", "true positive rate"),
    ("positive_predictive_value", "positive predictive value"),
)


def _group(group: Any) -> str:
    return " × ".join(map(str, group)) if isinstance(group, list) else str(group)


def observed_section(doc: Doc, i: int, *, sid: str) -> Section | None:
    """Error rates and calibration against the observed outcome; None when the run gave no outcome."""
    base = ("scorers", i, "observed_outcome")
    node = doc.get(*base)
    if not isinstance(node, dict):
        return None
    title = f"Observed outcome ({node.get('outcome_column')}): error rates and calibration"
    blocks: list[Block] = [Paragraph(text=str(node.get("note", "")))]
    if not node.get("available"):
        blocks.append(NotComputed(what="error rates", reason=str(node.get("reason"))))
    else:
        blocks.append(Paragraph(text=(
            f"A positive prediction is the scorer's {node.get('predicted_positive')} outcome. Rates as fairlearn's "
            "MetricFrame computes them, with 95% exact intervals; differences and ratios are over the groups "
            "eligible for ratios."
        )))
    for attr in node.get("attributes") or []:
        path = (*base, attr)
        if not isinstance(doc.get(*path), dict):
            continue
        groups = doc.get(*path, "groups")
        if isinstance(groups, list) and groups:
            rows = []
            for j, g in enumerate(groups):
                gp = (*path, "groups", j)
                rows.append((Cell(text=_group(g.get("group"))), value_cell(doc, (*gp, "n"), fmt=fmt_count),
                             value_cell(doc, (*gp, "positives"), fmt=fmt_count),
                             *(value_cell(doc, (*gp, m), fmt=fmt_pct, ci=(*gp, f"{m}_ci")) for m, _ in _METRICS),
                             value_cell(doc, (*gp, "excluded_from_ratios"))))
            blocks.append(Table(
                id=f"{sid}-{attr}", caption=f"Error rates by {attr} (observed outcome)",
                columns=("group", "n", "outcome = 1", *(label for _, label in _METRICS), "excluded from ratios"),
                rows=tuple(rows),
                note=(f"equalized odds difference {_fmt(doc.get(*path, 'equalized_odds_difference'), fmt_pct)}, "
                      f"ratio {_fmt(doc.get(*path, 'equalized_odds_ratio'), fmt_ratio)}; "
                      f"unknown category: {_fmt(doc.get(*path, 'unknown_n'), fmt_count)} people; "
                      f"equalized odds (four-fifths threshold on both rates, 95% intervals): "
                      f"{equalized_odds_evidence(doc.get(*path))[0].outcome}"),
            ))
        blocks.append(_calibration(doc, (*path, "calibration"), f"{sid}-{attr}-calibration", attr))
    return Section(id=sid, title=title, blocks=tuple(blocks))


def _fmt(value: Any, fmt: Any) -> str:
    return fmt(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else "—"


def _calibration(doc: Doc, path: tuple[Any, ...], tid: str, attr: str) -> Table | NotComputed:
    bins, groups = doc.get(*path, "bins"), doc.get(*path, "groups")
    if not isinstance(bins, list) or not isinstance(groups, list):
        return NotComputed(what=f"calibration by {attr}")
    rows = []
    for j, g in enumerate(groups):
        gp = (*path, "groups", j)
        rows.append((Cell(text=_group(g.get("group"))),
                     *(value_cell(doc, (*gp, "observed_rate", b), fmt=fmt_pct) for b in range(len(bins)))))
    return Table(id=tid, caption=f"Calibration by {attr}: observed outcome rate per score", columns=("group", *map(str, bins)),
                 rows=tuple(rows))
