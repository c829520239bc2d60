"""The disparity section of one attribute: rates, ratios and their intervals from the merged cell tables.

:class:`audit.disparity.audit.DisparityAudit` finalizes through these helpers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from audit.aggregate import limbs_to_float
from audit.disparity.bootstrap import PoissonBootstrap, coarsen_values, interval_pair, percentile_interval
from audit.disparity.exact_ranks import ExactValueCounts, bootstrap_table, population_median, rank_figures
from audit.disparity.group_stats import (
    count_above,
    eligible_min,
    fairlearn_summary,
    group_axis,
    pooled_median,
    rate,
    ratio_to_best,
    relative_risk_to_least,
    score_distribution,
)
from audit.disparity.ratio_intervals import RatioIntervals, exact_rate_interval, ratio_intervals
from audit.disparity.views import FOUR_FIFTHS, AttributeView, verdict
from audit.evidence import MIN_OBSERVATIONS, MIN_REFERENCE_EVENTS
from audit.output.artefacts import finite_or_none as _num
from audit.population.groups import CellLayout

if TYPE_CHECKING:
    from scorers.protocol import Scorer

__all__ = ["CellTables", "attribute_section", "score_statistics"]

# ----------------------------------------------------------------------------- finalize helpers


@dataclass(frozen=True, slots=True, kw_only=True)
class CellTables:
    """Merged per-cell counts."""

    n: np.ndarray
    """People per cell."""
    favourable: np.ndarray
    """People in a favourable tier per cell."""
    adverse: np.ndarray
    """People with any sanction per cell."""
    sanctions: np.ndarray
    """``(cells, sanctions)``: people with each declared sanction."""
    tiers: np.ndarray
    """``(cells, tiers)``: people in each tier, best first."""
    values: np.ndarray
    """Distinct scores (rounded to ``SCORE_DECIMALS``), sorted."""
    table: np.ndarray
    """``table[v, cell]``: people with score ``values[v]``."""
    sum_limbs: np.ndarray | None
    """Exact per-cell score sums as integer limbs (:func:`audit.aggregate.exact_sum_limbs`), if kept."""
    exact: ExactValueCounts | None
    """Exact people per (score, cell) for the rank figures, if kept."""

    @classmethod
    def of(cls, merged: Mapping[str, Any], scorer: Scorer) -> CellTables:
        tiers = merged["tiers"].array
        fav_idx = [i for i, t in enumerate(scorer.tiers) if t in scorer.favourable_tiers]
        values, table = merged["scores"].table()
        return cls(
            n=tiers.sum(axis=1),
            favourable=tiers[:, fav_idx].sum(axis=1),
            adverse=merged["any_sanction"].array,
            sanctions=merged["sanctions"].array,
            tiers=tiers,
            values=values,
            table=table,
            sum_limbs=merged["scores"].sum_limbs,
            exact=merged.get("exact_scores"),
        )


def score_statistics(cells: CellTables, layout: CellLayout, views: list[AttributeView], boot: PoissonBootstrap):
    """Point estimates and replicates of mean, median and LL144 scoring rate per group.

    Medians and scoring rates are exact rank figures on the unrounded scores
    (:mod:`audit.disparity.exact_ranks`); the bootstrap draws from the exact values,
    pooled into bins of near-equal mass when there are many.
    """
    values, table = cells.values, cells.table
    exact = cells.exact
    if exact is None:  # counts gathered without exact scores: ranks on the rounded values
        median = pooled_median(values, table.sum(axis=1)[None, :])
        median_keys = None
    else:
        m, a, b = population_median(exact)
        median, median_keys = np.array([m]), (a, b)
    point = {}
    for view in views:
        counts = group_axis(table[None], layout, view.keep)  # (1, V, G)
        n, mean, med = score_distribution(values, counts)
        if cells.sum_limbs is not None:  # exact means of the unrounded scores, rounded once per group
            sums = limbs_to_float(group_axis(cells.sum_limbs.T, layout, view.keep).T)
            mean = rate(sums, n[0])[None]
        point[view.key] = {"n": n[0], "mean": mean[0], "median": med[0], "above": count_above(values, counts, median)[0],
                           "at_or_above": None, "error_bound": None}
        if exact is not None and median_keys is not None:
            groups = group_axis(np.eye(layout.n_cells, dtype=np.int64), layout, view.keep).argmax(axis=1)
            ranks = rank_figures(exact, groups, n.shape[-1], median_keys)
            point[view.key].update(median=ranks.median, above=ranks.above, at_or_above=ranks.at_or_above,
                                   error_bound=ranks.error_bound)
    reps: dict[str, dict[str, np.ndarray]] = {}
    if boot.enabled and values.size:
        vals, tab = bootstrap_table(exact) if exact is not None else coarsen_values(values, table)
        rng = boot.generator("disparity/scores")
        parts: dict[str, dict[str, list[np.ndarray]]] = {v.key: {"mean": [], "median": [], "scoring": []} for v in views}
        for start, stop in boot.batches(tab.size):
            drawn = rng.poisson(tab.astype(np.float64), size=(stop - start, *tab.shape)).astype(np.int64)
            medians = pooled_median(vals, drawn.sum(axis=-1))
            for view in views:
                counts = group_axis(drawn, layout, view.keep)
                n, mean, med = score_distribution(vals, counts)
                parts[view.key]["mean"].append(mean)
                parts[view.key]["median"].append(med)
                parts[view.key]["scoring"].append(rate(count_above(vals, counts, medians), n))
        reps = {k: {s: np.concatenate(a, axis=0) for s, a in d.items()} for k, d in parts.items()}
    return point, reps, _num(median[0])


def _interval(reps: np.ndarray | None) -> tuple[np.ndarray, np.ndarray] | None:
    return None if reps is None else percentile_interval(reps)


def attribute_section(view, layout, cells: CellTables, score, score_reps, intervals: bool, *, min_share: float, scorer):
    keep = view.keep
    n = group_axis(cells.n, layout, keep)
    fav = group_axis(cells.favourable, layout, keep)
    adv = group_axis(cells.adverse, layout, keep)
    sanc = group_axis(cells.sanctions.T, layout, keep).T if cells.sanctions.size else np.zeros((n.size, 0), dtype=np.int64)
    tiers = group_axis(cells.tiers.T, layout, keep).T  # (G, T)
    total = int(cells.n.sum())
    known = np.array(view.known)
    eligible = known & (n > 0) & (n >= min_share * total)

    fav_rate = rate(fav, n)
    adv_rate = rate(adv, n)
    scoring = rate(score["above"], score["n"])
    ties = None if score.get("at_or_above") is None else rate(score["at_or_above"], score["n"])
    ties_ir = None if ties is None else ratio_to_best(ties[None], eligible)[0]
    ir = ratio_to_best(fav_rate[None], eligible)[0]
    sir = ratio_to_best(scoring[None], eligible)[0]
    rr = relative_risk_to_least(adv_rate[None], eligible)[0]

    ci: dict[str, tuple[np.ndarray, np.ndarray] | None] = dict.fromkeys(
        ["fav", "adv", "scoring", "mean", "median", "ir", "sir", "rr", "tier", "better", "sanction"], None
    )
    attr_ci: dict[str, list[float] | None] = {"min_ir": None, "min_sir": None, "max_rr": None}
    impact = ratio_intervals(fav, n, eligible, to="highest")
    risk = ratio_intervals(adv, n, eligible, to="lowest")
    if intervals:  # exact (Clopper-Pearson) rates; ratios to the best/least group (audit.disparity.ratio_intervals)
        ci.update(fav=exact_rate_interval(fav, n), adv=exact_rate_interval(adv, n),
                  ir=(impact.lo, impact.hi), rr=(risk.lo, risk.hi))
        ci.update(tier=exact_rate_interval(tiers.T, n[None, :]),
                  better=exact_rate_interval(np.cumsum(tiers, axis=1).T, n[None, :]))
        ci["sanction"] = exact_rate_interval(sanc.T, n[None, :])  # (S, G)
        attr_ci["min_ir"] = interval_pair(impact.extreme_lo, impact.extreme_hi)
        attr_ci["max_rr"] = interval_pair(risk.extreme_lo, risk.extreme_hi)
    if score_reps is not None:
        ref = _argbest(scoring, eligible, max)  # the reference is chosen once, on the point estimate
        sir_r = ratio_to_best(score_reps["scoring"], eligible, reference=ref)
        boot_lo, boot_hi = _interval(score_reps["scoring"])  # type: ignore[misc]
        cp_lo, cp_hi = exact_rate_interval(score["above"], score["n"])  # given the median: never [0, 0] on 0 of n
        # the LL144 ratio: the bootstrap (median re-estimated, reference fixed) spanned with the pairwise
        # intervals given the median, which account for choosing the reference (audit.disparity.ratio_intervals)
        given = ratio_intervals(score["above"], score["n"], eligible, to="highest")
        sir_lo, sir_hi = _interval(sir_r)  # type: ignore[misc]
        min_lo, min_hi = percentile_interval(eligible_min(sir_r, eligible))
        ci.update(
            scoring=(np.fmin(boot_lo, cp_lo), np.fmax(boot_hi, cp_hi)), mean=_interval(score_reps["mean"]),
            median=_interval(score_reps["median"]), sir=(np.fmin(sir_lo, given.lo), np.fmax(sir_hi, given.hi)),
        )
        attr_ci["min_sir"] = interval_pair(np.fmin(min_lo, given.extreme_lo), np.fmax(min_hi, given.extreme_hi))

    def pair(key: str, i: int) -> list[float] | None:
        c = ci[key]
        return None if c is None else interval_pair(c[0][i], c[1][i])

    def pairs(key: str, i: int, names) -> dict[str, list[float] | None] | None:
        c = ci[key]
        return None if c is None else {name: interval_pair(c[0][j, i], c[1][j, i]) for j, name in enumerate(names)}

    tier_share = rate(tiers, n[:, None])
    tier_better = rate(np.cumsum(tiers, axis=1), n[:, None])
    groups = []
    for i, label in enumerate(view.labels):
        if not known[i]:
            continue
        g_ir, g_ir_ci = _num(ir[i]), pair("ir", i)
        groups.append(
            {
                "group": view.display(label),
                "n": int(n[i]),
                "share": _num(n[i] / total) if total else None,
                "excluded_from_ratios": bool(not eligible[i]),
                "favourable_rate": _num(fav_rate[i]),
                "favourable_rate_ci": pair("fav", i),
                "adverse_rate": _num(adv_rate[i]),
                "adverse_rate_ci": pair("adv", i),
                "adverse_rate_by_sanction": {s: _num(rate(sanc[i, j], n[i])) for j, s in enumerate(scorer.sanctions)},
                "adverse_rate_by_sanction_ci": pairs("sanction", i, scorer.sanctions),
                "tier_shares": {t: _num(tier_share[i, j]) for j, t in enumerate(scorer.tiers)},
                "tier_shares_ci": pairs("tier", i, scorer.tiers),
                "tier_or_better": {t: _num(tier_better[i, j]) for j, t in enumerate(scorer.tiers)},
                "tier_or_better_ci": pairs("better", i, scorer.tiers),
                "mean_score": _num(score["mean"][i]),
                "mean_score_ci": pair("mean", i),
                "median_score": _num(score["median"][i]),
                "median_score_ci": pair("median", i),
                "scoring_rate": _num(scoring[i]),
                "scoring_rate_ci": pair("scoring", i),
                "impact_ratio": g_ir,
                "impact_ratio_ci": g_ir_ci,
                "scoring_impact_ratio": _num(sir[i]),
                "scoring_impact_ratio_ci": pair("sir", i),
                "scoring_rate_ties_above": None if ties is None else _num(ties[i]),
                "scoring_impact_ratio_ties_above": None if ties_ir is None else _num(ties_ir[i]),
                "adverse_relative_risk": _num(rr[i]),
                "adverse_relative_risk_ci": pair("rr", i),
                "four_fifths": verdict(g_ir, g_ir_ci, excluded=not eligible[i],
                                       enough=bool(n[i] >= MIN_OBSERVATIONS and not impact.unstable)),
            }
        )

    best = _argbest(fav_rate, eligible, max)
    least = _argbest(adv_rate, eligible, min)
    worst = _argbest(ir, eligible & ~np.isnan(ir), min)
    most = _argbest(rr, eligible & ~np.isnan(rr), max) if np.any(eligible & ~np.isnan(rr)) else _argbest(adv_rate, eligible, max)
    score_best = _argbest(scoring, eligible, max)
    min_ir = _num(ir[worst]) if worst is not None else None
    min_sir = _num(np.nanmin(np.where(eligible, sir, np.nan))) if np.any(eligible & ~np.isnan(sir)) else None
    max_rr = _num(rr[most]) if most is not None else None
    all_n = int(cells.n.sum())
    out = {
        "groups": groups,
        "unknown_n": int(n[~known].sum()),
        "eligible_groups": int(eligible.sum()),
        "reference_group": _label(view, best),
        "adverse_reference_group": _label(view, least),
        "scoring_reference_group": _label(view, score_best),
        "worst_group": _label(view, worst),
        "most_sanctioned_group": _label(view, most),
        "min_impact_ratio": min_ir,
        "min_impact_ratio_ci": attr_ci["min_ir"],
        "four_fifths_violation": bool(min_ir is not None and min_ir < FOUR_FIFTHS),
        "four_fifths_verdict": verdict(min_ir, attr_ci["min_ir"], enough=_enough(n, eligible, impact)),
        "reference_events": impact.reference_events,
        "impact_ratio_unstable": impact.unstable,
        "adverse_reference_events": risk.reference_events,
        "adverse_relative_risk_unstable": risk.unstable,
        "scoring_reference_events": None if score_best is None else int(score["above"][score_best]),
        "scoring_impact_ratio_unstable": bool(score_best is not None and score["above"][score_best] < MIN_REFERENCE_EVENTS),
        "min_scoring_impact_ratio": min_sir,
        "min_scoring_impact_ratio_ci": attr_ci["min_sir"],
        "min_scoring_impact_ratio_ties_above": (
            _num(np.nanmin(np.where(eligible, ties_ir, np.nan))) if ties_ir is not None and np.any(eligible & ~np.isnan(ties_ir))
            else None
        ),
        "rank_error_bound": None if score.get("error_bound") is None else float(np.max(score["error_bound"], initial=0.0)),
        "max_adverse_relative_risk": max_rr,
        "max_adverse_relative_risk_ci": attr_ci["max_rr"],
        "favourable": fairlearn_summary(float(rate(cells.favourable.sum(), all_n)), fav_rate, eligible),
        "adverse": fairlearn_summary(float(rate(cells.adverse.sum(), all_n)), adv_rate, eligible),
        "scoring_rate": fairlearn_summary(float(rate(score["above"].sum(), all_n)), scoring, eligible),
    }
    info = {"eligible": eligible, "best": best, "worst": worst, "least": least, "most": most}
    return out, info


def _enough(n: np.ndarray, eligible: np.ndarray, impact: RatioIntervals) -> bool:
    """Evidence enough for an attribute's four-fifths verdict: two eligible groups of at least
    ``MIN_OBSERVATIONS`` people each and a stable reference group."""
    return bool(eligible.sum() >= 2 and np.all(n[eligible] >= MIN_OBSERVATIONS) and not impact.unstable)


def _argbest(values: np.ndarray, mask: np.ndarray, how) -> int | None:
    ok = mask & ~np.isnan(values)
    if not ok.any():
        return None
    idx = np.flatnonzero(ok)
    vals = values[idx]
    return int(idx[np.argmax(vals)] if how is max else idx[np.argmin(vals)])


def _label(view: AttributeView, i: int | None) -> Any:
    return None if i is None else view.display(view.labels[i])
