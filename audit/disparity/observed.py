"""Error-rate parity and calibration against an observed outcome, in fairlearn's vocabulary.

A supplied table may record what happened afterwards (``--outcome
two_year_recid``: 1 = the event the score predicts). Per audited attribute,
intersection and group this audit reports the rates fairlearn's
``MetricFrame`` computes -- ``selection_rate``, ``false_positive_rate``,
``false_negative_rate``, ``true_positive_rate``, ``positive_predictive_value``
-- each with an exact (Clopper-Pearson) 95% interval, their ``overall``,
``group_min``, ``group_max``, ``difference`` and ``ratio`` over the groups
eligible for ratios (known, at least ``min_cell_share`` of people, and the
rate defined), ``equalized_odds_difference`` / ``equalized_odds_ratio``
(fairlearn's worst case of the true- and false-positive rates), and
calibration within groups: the observed outcome rate per score value (per
score decile when there are more than :data:`MAX_CALIBRATION_VALUES` values).

The positive prediction is the outcome a scorer predicts: its adverse outcome
for a risk score (unfavourable tier), or the favourable decision for a
scorer whose ``predicts`` is ``"favourable"``
(:class:`scorers.precomputed.PrecomputedScorer`). The observed outcome is
itself recorded by people -- arrests, not offending; performance reviews, not
performance -- and can be biased the same way the score is: error rates
measure agreement with that record, not with the truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from audit.aggregate import Counts
from audit.disparity.bootstrap import interval_pair
from audit.disparity.group_stats import fairlearn_summary, group_axis, rate
from audit.disparity.ratio_intervals import exact_rate_interval
from audit.disparity.views import attribute_views
from audit.engine.contract import AuditContext, ScoredChunk
from audit.errors import InvalidArgument
from audit.output.artefacts import finite_or_none as _num

__all__ = ["MAX_CALIBRATION_VALUES", "METRICS", "OBSERVED_NOTE", "ObservedOutcomeAudit", "rates_with_intervals"]

#: Scores with at most this many distinct values are calibrated per value (a 1-10 decile score); more, per decile.
MAX_CALIBRATION_VALUES = 20

#: fairlearn metric name -> (numerator, denominator) over the confusion counts tp, fp, fn, tn.
METRICS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "selection_rate": (("tp", "fp"), ("tp", "fp", "fn", "tn")),
    "false_positive_rate": (("fp",), ("fp", "tn")),
    "false_negative_rate": (("fn",), ("tp", "fn")),
    "true_positive_rate": (("tp",), ("tp", "fn")),
    "positive_predictive_value": (("tp",), ("tp", "fp")),
}

OBSERVED_NOTE = (
    "observed outcome: what was recorded afterwards, itself recorded by people (e.g. re-arrest rather than "
    "re-offending) and open to the same biases as the score; error rates measure agreement with that record"
)

_CONFUSION = ("tn", "fp", "fn", "tp")  # code = 2 * outcome + predicted


@dataclass(frozen=True, slots=True)
class _Bins:
    """The calibration bins of a score: their edges and labels (merge: identical bins only)."""

    edges: tuple[float, ...]
    labels: tuple[str, ...]

    def merge(self, other: _Bins) -> _Bins:
        if self != other:
            raise ValueError("observed-outcome calibration bins differ between chunks; a supplied table is one chunk")
        return self


def _bins(scores: np.ndarray) -> _Bins:
    values = np.unique(scores)
    if values.size <= MAX_CALIBRATION_VALUES:
        return _Bins(edges=tuple(float(v) for v in values), labels=tuple(f"{v:g}" for v in values))
    cuts = np.unique(np.quantile(scores, np.linspace(0, 1, 11)[1:-1], method="lower"))
    lows = (float(values[0]), *(float(c) for c in cuts))
    labels = tuple(
        f"decile {i + 1} ({lo:g} to under {hi:g})" for i, (lo, hi) in enumerate(zip(lows, lows[1:]))
    ) + (f"decile {len(lows)} ({lows[-1]:g} and over)",)
    return _Bins(edges=lows, labels=labels)


def _predicted(chunk: ScoredChunk) -> np.ndarray | None:
    """Who the scorer predicts the event for; None when it gives no decision (all tiers alike)."""
    scorer = chunk.scorer
    fav = chunk.favourable
    if len(scorer.favourable_tiers) in (0, len(scorer.tiers)):
        return None
    return fav if getattr(scorer, "predicts", "adverse") == "favourable" else ~fav


class ObservedOutcomeAudit:
    """Per-group error rates and calibration against the 0/1 outcome column ``column``."""

    name = "observed_outcome"

    def __init__(self, *, column: str) -> None:
        self.column = column

    def collect(self, chunk: ScoredChunk) -> dict[str, Any]:
        people = chunk.population.people
        if self.column not in people.columns:
            raise InvalidArgument(f"outcome={self.column!r}: the people table has no such column")
        outcome = people[self.column].to_numpy().astype(np.int64)
        predicted = _predicted(chunk)
        n_cells = chunk.layout.n_cells
        scores = chunk.frame["score"].to_numpy()
        bins = _bins(scores)
        slot = np.searchsorted(np.asarray(bins.edges), scores, side="right") - 1
        k = len(bins.labels)
        calibration = np.bincount(chunk.cells * (2 * k) + slot * 2 + outcome, minlength=n_cells * 2 * k)
        out: dict[str, Any] = {"bins": bins, "calibration": Counts(calibration.reshape(n_cells, k, 2))}
        if predicted is not None:
            code = chunk.cells * 4 + outcome * 2 + predicted.astype(np.int64)
            out["confusion"] = Counts(np.bincount(code, minlength=n_cells * 4).reshape(n_cells, 4))
        return out

    def finalize(self, merged: Mapping[str, Any], ctx: AuditContext) -> dict[str, Any]:
        layout, options = ctx.layout, ctx.options
        scorer = ctx.scorer
        confusion = merged.get("confusion")
        section: dict[str, Any] = {
            "label": "observed outcome",
            "outcome_column": self.column,
            "note": OBSERVED_NOTE,
            "predicted_positive": getattr(scorer, "predicts", "adverse") if confusion is not None else None,
            "available": confusion is not None,
            "reason": None if confusion is not None else (
                "the scores come with no decision, so there is no prediction to compare with the outcome; "
                "give a cut-off (--adverse-from) or a decision column (--favourable-column)"
            ),
            "interval": "95% exact Clopper-Pearson interval of each rate",
            "min_cell_share": float(options.min_cell_share),
        }
        cal = merged["calibration"].array  # (cells, bins, 2)
        bins = merged["bins"]
        views = attribute_views(layout)
        section["attributes"] = [v.key for v in views]
        counts = None if confusion is None else {name: confusion.array[:, i] for i, name in enumerate(_CONFUSION)}
        if counts is not None:
            section["overall"] = rates_with_intervals({k: np.asarray([v.sum()]) for k, v in counts.items()}, 0)
        for view in views:
            n = group_axis(cal.sum(axis=(1, 2))[None, :], layout, view.keep)[0]
            total = int(n.sum())
            known = np.array(view.known)
            eligible = known & (n > 0) & (n >= options.min_cell_share * total)
            entry: dict[str, Any] = {"unknown_n": int(n[~known].sum())}
            if counts is not None:
                per = {k: group_axis(v[None, :], layout, view.keep)[0] for k, v in counts.items()}
                entry.update(_error_rates(per, view, eligible, counts))
            entry["calibration"] = _calibration(cal, bins, layout, view, known)
            section[view.key] = entry
        return section


def rates_with_intervals(per: Mapping[str, np.ndarray], i: int) -> dict[str, Any]:
    """Group ``i``'s fairlearn rates from confusion counts ``per`` (tp, fp, fn, tn), each with its 95% exact interval."""
    out: dict[str, Any] = {}
    for metric, (num, den) in METRICS.items():
        yes = sum(per[c][i] for c in num)
        n = sum(per[c][i] for c in den)
        lo, hi = exact_rate_interval(yes, n)
        out[metric] = _num(rate(yes, n))
        out[f"{metric}_ci"] = interval_pair(lo, hi)
    return out


def _error_rates(per: Mapping[str, np.ndarray], view: Any, eligible: np.ndarray, counts: Mapping[str, np.ndarray]) -> dict[str, Any]:
    n = np.sum(list(per.values()), axis=0)
    groups = []
    for i, label in enumerate(view.labels):
        if not view.known[i]:
            continue
        groups.append({
            "group": view.display(label), "n": int(n[i]), "positives": int(per["tp"][i] + per["fn"][i]),
            "excluded_from_ratios": bool(not eligible[i]), **rates_with_intervals(per, i),
        })
    by_metric = {}
    rates = {}
    for metric, (num, den) in METRICS.items():
        rates[metric] = rate(sum(per[c] for c in num), sum(per[c] for c in den))
        overall = float(rate(sum(counts[c].sum() for c in num), sum(counts[c].sum() for c in den)))
        by_metric[metric] = fairlearn_summary(overall, rates[metric], eligible)
    # fairlearn's equalized odds: the worse of the true- and false-positive rates' between-group difference / ratio
    both = eligible & ~np.isnan(rates["true_positive_rate"]) & ~np.isnan(rates["false_positive_rate"])
    tpr = fairlearn_summary(0.0, rates["true_positive_rate"], both)
    fpr = fairlearn_summary(0.0, rates["false_positive_rate"], both)
    diff = None if tpr["difference"] is None else max(tpr["difference"], fpr["difference"])
    ratios = [r for r in (tpr["ratio"], fpr["ratio"]) if r is not None]
    ratio = None if diff is None or len(ratios) < 2 else min(ratios)
    return {
        "groups": groups, "by_metric": by_metric, "eligible_groups": int(both.sum()),
        "equalized_odds_difference": diff, "equalized_odds_ratio": ratio,
    }


def _calibration(cal: np.ndarray, bins: _Bins, layout: Any, view: Any, known: np.ndarray) -> dict[str, Any]:
    k = len(bins.labels)
    events = group_axis(cal[:, :, 1].T, layout, view.keep)  # (bins, groups)
    n = group_axis(cal.sum(axis=2).T, layout, view.keep)
    lo, hi = exact_rate_interval(events, n)
    obs = rate(events, n)
    groups = []
    for i, label in enumerate(view.labels):
        if not known[i]:
            continue
        groups.append({
            "group": view.display(label),
            "n": [int(n[b, i]) for b in range(k)],
            "observed_rate": [_num(obs[b, i]) for b in range(k)],
            "observed_rate_ci": [interval_pair(lo[b, i], hi[b, i]) for b in range(k)],
        })
    return {"bins": list(bins.labels), "groups": groups}
