"""The report's observed-outcome section: error rates by group and calibration (:mod:`audit.disparity.observed`).

Labelled "observed outcome" throughout: the outcome was itself recorded by
people and can be biased the way the score is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from audit.report.model import Block, Cell, NotComputed, Paragraph, Ptr, Section, Table, fmt_count, fmt_pct, fmt_ratio
from audit.report.observed_findings import equalized_odds_evidence
from audit.report.tables import figure
from audit.results.model import ScorerEntry, observed_attribute
from audit.results.model.observed import Calibration

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


def observed_section(entry: ScorerEntry, scorer_at: Ptr, *, sid: str) -> Section | None:
    """Error rates and calibration against the observed outcome of the scorer ``entry`` (read at ``scorer_at``);
    None when the run gave no outcome."""
    if "observed_outcome" not in entry:
        return None
    node, at = entry["observed_outcome"], scorer_at / "observed_outcome"
    title = f"Observed outcome ({node['outcome_column']}): error rates and calibration"
    blocks: list[Block] = [Paragraph(text=node["note"])]
    if not node["available"]:
        blocks.append(NotComputed(what="error rates", reason=str(node["reason"])))
    else:
        blocks.append(Paragraph(text=(
            f"A positive prediction is the scorer's {node['predicted_positive']} outcome. Rates as fairlearn's "
            "MetricFrame computes them, with 95% exact intervals; differences and ratios are over the groups "
            "eligible for ratios."
        )))
    for attr in node["attributes"]:
        part, pat = observed_attribute(node, attr), at / attr
        groups = part["groups"] if "groups" in part else []
        if groups:
            rows = []
            for j, g in enumerate(groups):
                gat = pat / "groups" / j
                rates = cast(Mapping[str, Any], g)  # the metric columns are declared by key (_METRICS)
                rows.append((Cell(text=_group(g["group"])), figure(g["n"], gat / "n", fmt=fmt_count),
                             figure(g["positives"], gat / "positives", fmt=fmt_count),
                             *(figure(rates[m], gat / m, fmt=fmt_pct, ci=(rates[f"{m}_ci"], gat / f"{m}_ci")) for m, _ in _METRICS),
                             figure(g["excluded_from_ratios"], gat / "excluded_from_ratios")))
            difference = part["equalized_odds_difference"] if "equalized_odds_difference" in part else None
            ratio = part["equalized_odds_ratio"] if "equalized_odds_ratio" in part else None
            blocks.append(Table(
                id=f"{sid}-{attr}", caption=f"Error rates by {attr} (observed outcome)",
                columns=("group", "n", "outcome = 1", *(label for _, label in _METRICS), "excluded from ratios"),
                rows=tuple(rows),
                note=(f"equalized odds difference {_fmt(difference, fmt_pct)}, "
                      f"ratio {_fmt(ratio, fmt_ratio)}; "
                      f"unknown category: {_fmt(part['unknown_n'], fmt_count)} people; "
                      f"equalized odds (four-fifths threshold on both rates, 95% intervals): "
                      f"{equalized_odds_evidence(part)[0].outcome}"),
            ))
        blocks.append(_calibration(part["calibration"], pat / "calibration", f"{sid}-{attr}-calibration", attr))
    return Section(id=sid, title=title, blocks=tuple(blocks))


def _fmt(value: Any, fmt: Any) -> str:
    return fmt(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else "—"


def _calibration(calibration: Calibration, at: Ptr, tid: str, attr: str) -> Table:
    bins = calibration["bins"]
    rows = []
    for j, g in enumerate(calibration["groups"]):
        gat = at / "groups" / j / "observed_rate"
        rows.append((Cell(text=_group(g["group"])), *(figure(rate, gat / b, fmt=fmt_pct) for b, rate in enumerate(g["observed_rate"]))))
    return Table(id=tid, caption=f"Calibration by {attr}: observed outcome rate per score", columns=("group", *map(str, bins)),
                 rows=tuple(rows))
