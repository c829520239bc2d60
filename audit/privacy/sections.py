"""The per-scorer part of published.json, computed from noisy tables only.

Everything here is post-processing of OpenDP outputs (:class:`NoisyTable`):
margins, rates, means, impact ratios, tier shares, non-negative versions and
intervals. Nothing here sees an exact figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import numpy as np

from audit.evidence import HOLDS, NOT_ENOUGH, VIOLATED, Evidence
from audit.population.groups import UNKNOWN
from audit.privacy.context import ALPHA, count_half_width
from audit.privacy.figures import (
    Estimate,
    NoisyTable,
    figures,
    half_widths,
    nonnegative_counts,
    ratio,
)
from audit.privacy.queries import (
    ExactTable,
    ScoreBounds,
    public_labels,
)
from audit.results.model.published import PublishedScorer

__all__ = ["FOUR_FIFTHS", "MIN_SHARE", "four_fifths", "impact_ratio_bounds", "scorer_meta", "scorer_section"]

#: Groups under this share of people are excluded from impact ratios (NYC LL144; as in the disparity audit).
MIN_SHARE = 0.02
#: EEOC four-fifths rule, 29 CFR 1607.4(D).
FOUR_FIFTHS = 0.8
#: How the published verdict reads the bounds (recorded with it).
FOUR_FIFTHS_RULE = ("violated when some group's impact-ratio upper bound is under 0.8, holds when every eligible "
                    "group's lower bound is at least 0.8, otherwise not enough evidence; bounds are simultaneous 95% "
                    "bounds against the truly highest group, from the noisy figures only")
#: Evidence outcome -> the published verdict word (as the report reads it).
VERDICT_WORDS = {HOLDS: "no violation", VIOLATED: "violation", NOT_ENOUGH: "inconclusive"}


def scorer_meta(r: Any) -> dict[str, Any]:
    """Public description of a scorer run: label, name@version, params, tiers."""
    s = r.scorer
    version = str(getattr(s, "version", ""))
    return {
        "label": r.label,
        "name": str(s.name),
        "version": version,
        "scorer": f"{s.name}@{version}",
        "params": dict(getattr(s, "params", {}) or {}),
        "tiers": list(s.tiers),
        "favourable_tiers": [t for t in s.tiers if t in s.favourable_tiers],
    }


def scorer_section(r: Any, tables: Mapping[str, ExactTable], noisy: Mapping[str, NoisyTable],
                   split: Mapping[str, float], bounds: ScoreBounds | None, options: Any) -> PublishedScorer:
    """One scorer's published figures: tables, groups, tier shares, histogram.

    ``tables`` are used for their public axes and bounds only; every value comes from ``noisy``.
    """
    scales = {t.entry: t.scale for t in noisy.values()}
    scorer = r.scorer
    tiers = list(scorer.tiers)
    fav = np.array([t in scorer.favourable_tiers for t in tiers], dtype=float)
    min_share = float(getattr(options, "min_cell_share", MIN_SHARE))
    out: dict[str, Any] = {**scorer_meta(r), "status": "ok", "epsilon": float(sum(split.values()))}
    out["score_bounds"] = None if bounds is None else {"lo": bounds.lo, "hi": bounds.hi, "source": bounds.source}

    t = noisy["tiers_by_cell"]
    cells = t.estimate()  # (6*5*T,) figures
    n_inc, n_edu, n_t = t.values.shape
    out["tables"] = {name: _table_section(tables[name], noisy[name]) for name in noisy}

    # per-cell n and favourable counts as linear maps of the tier table
    cell_n = cells.linear(np.kron(np.eye(n_inc * n_edu), np.ones((1, n_t))))
    cell_fav = cells.linear(np.kron(np.eye(n_inc * n_edu), fav[None, :]))
    adverse = noisy["adverse_by_cell"].estimate()
    sums = noisy["score_sum_by_cell"].estimate() if "score_sum_by_cell" in noisy else None
    mid = None
    if bounds is not None:
        lo, hi = bounds.hundredths()
        mid = (lo + hi) // 2

    groups: dict[str, Any] = {}
    margin_specs = {
        "income_quintile": (np.kron(np.eye(n_inc), np.ones((1, n_edu))), public_labels("income_quintile")),
        "education": (np.kron(np.ones((1, n_inc)), np.eye(n_edu)), public_labels("education")),
        "income_quintile_x_education": (np.eye(n_inc * n_edu),
                                        [f"{a}|{b}" for a in public_labels("income_quintile")
                                         for b in public_labels("education")]),
    }
    for key, (w, labels) in margin_specs.items():
        groups[key] = _group_section(
            labels=list(labels), n=cell_n.linear(w), fav=cell_fav.linear(w), adverse=adverse.linear(w),
            sums=None if sums is None else sums.linear(w), mid=mid, bounds=bounds, scales=scales, min_share=min_share,
        )
    total = cell_n.linear(np.ones((1, n_inc * n_edu)))
    groups["total"] = figures(total, scales, lower=0.0)[0]
    out["groups"] = groups

    shares = ratio(cells.linear(np.kron(np.ones((1, n_inc * n_edu)), np.eye(n_t))),
                   cells.linear(np.ones((n_t, cells.value.size))))
    share_figs = figures(shares, scales, lower=0.0, upper=1.0)
    out["tier_shares"] = [{"tier": tier, "share": share_figs[i]} for i, tier in enumerate(tiers)]
    out["tier_shares_simultaneous"] = _simultaneous({"share": shares}, scales)
    if "score_histogram" in noisy:
        out["score_histogram"] = _histogram_section(noisy["score_histogram"], tables["score_histogram"], scales)
    return cast(PublishedScorer, out)


def _table_section(exact: ExactTable, t: NoisyTable) -> dict[str, Any]:
    """A measured table: signed counts and the non-negative consistent version, each with intervals."""
    h = count_half_width(t.scale)
    m = t.size
    h_sim = count_half_width(t.scale, alpha=ALPHA / m)
    names = [a for a, _ in exact.axes]
    key = "sum" if exact.query == "score_sum_by_cell" else "count"
    grids = np.meshgrid(*[np.arange(len(labels)) for _, labels in exact.axes], indexing="ij")
    coords = [g.reshape(-1) for g in grids]
    flat = t.values.reshape(-1)
    nonneg = nonnegative_counts(t.values).reshape(-1) if exact.query != "score_sum_by_cell" else None

    def rows(values: np.ndarray, clip: bool) -> list[dict[str, Any]]:
        out = []
        for i in range(m):
            row = {names[a]: exact.axes[a][1][coords[a][i]] for a in range(len(names))}
            lo, hi = float(flat[i]) - h, float(flat[i]) + h
            if clip:  # the signed interval clipped at 0, widened to the value: still covers at least 95%
                lo, hi = max(min(lo, float(values[i])), 0.0), max(hi, float(values[i]))
            row[key] = {"value": int(values[i]), "ci95": [int(lo), int(hi)], "ledger_entries": [t.entry],
                        "derived": clip}
            out.append(row)
        return out

    section: dict[str, Any] = {
        "query": exact.query,
        "ledger_entry": t.entry,
        "axes": {name: list(labels) for name, labels in exact.axes},
        "unit": exact.unit,
        "sensitivity": t.sensitivity,
        "scale": t.scale,
        "ci95_half_width": h,
        "simultaneous": {"method": "Bonferroni", "figures": m, "alpha_per_figure": ALPHA / m, "half_width": h_sim},
        "signed": {"label": "unbiased OpenDP output; may be negative", "rows": rows(flat, False)},
    }
    if nonneg is not None:
        section["nonnegative"] = {
            "label": "post-processed: non-negative integers with the signed total (clipped at 0); margins add up",
            "rows": rows(nonneg, True),
        }
    return section


def _group_section(*, labels: list[Any], n: Estimate, fav: Estimate, adverse: Estimate, sums: Estimate | None,
                   mid: int | None, bounds: ScoreBounds | None, scales: Mapping[str, float],
                   min_share: float) -> dict[str, Any]:
    fav_rate = ratio(fav, n)
    adv_rate = ratio(adverse, n)
    f_n = figures(n, scales, lower=0.0)
    f_f = figures(fav_rate, scales, lower=0.0, upper=1.0)
    f_a = figures(adv_rate, scales, lower=0.0, upper=1.0)
    mean = None
    if sums is not None and bounds is not None and mid is not None:
        mean = ratio(sums, n).plus(float(mid)).times(0.01)
        f_m = figures(mean, scales, lower=bounds.lo, upper=bounds.hi)
    known = np.array([UNKNOWN not in str(lab).split("|") for lab in labels])
    total = float(np.sum(n.value))
    eligible = known & (n.value > 0) & (n.value >= min_share * total) & np.isfinite(fav_rate.value)
    best = int(np.argmax(np.where(eligible, fav_rate.value, -np.inf))) if eligible.any() else None
    impact = None
    if best is not None and fav_rate.value[best] > 0:
        ref = fav_rate.take(np.full(len(labels), best))
        impact = ratio(fav_rate, ref)
        ir_lo, ir_hi = impact_ratio_bounds(fav_rate, scales, eligible=eligible, family=int(known.sum()))
        ir_entries = sorted({e for es in fav_rate.entries() for e in es})  # the bounds read every group's rate
    groups: list[dict[str, Any]] = []
    for i, label in enumerate(labels):
        g: dict[str, Any] = {
            "group": label,
            "n": f_n[i],
            "favourable_rate": f_f[i],
            "adverse_rate": f_a[i],
        }
        if mean is not None:
            g["mean_score"] = f_m[i]
        if impact is not None and eligible[i]:
            g["impact_ratio"] = {"value": float(min(impact.value[i], 1.0)), "ci95": [float(ir_lo[i]), float(ir_hi[i])],
                                 "ledger_entries": ir_entries, "derived": True}
        else:
            g["impact_ratio"] = None
        g["excluded_from_ratios"] = bool(not eligible[i])
        groups.append(g)
    ratios = [(g["impact_ratio"]["value"], g) for i, g in enumerate(groups)
              if g["impact_ratio"] and g["impact_ratio"]["value"] is not None and i != best]
    worst = min(ratios, key=lambda x: x[0])[1] if ratios else None
    verdict = four_fifths(ir_lo[eligible], ir_hi[eligible], people=total) if impact is not None else four_fifths(
        np.zeros(0), np.zeros(0), people=total)
    m = len(labels)
    sim_half_widths = {"favourable_rate": _nan_none(half_widths(fav_rate, scales, alpha=ALPHA / m)),
                       "adverse_rate": _nan_none(half_widths(adv_rate, scales, alpha=ALPHA / m))}
    if mean is not None:
        sim_half_widths["mean_score"] = _nan_none(half_widths(mean, scales, alpha=ALPHA / m))
    sim = {"method": "Bonferroni", "figures": m, "alpha_per_figure": ALPHA / m, "half_widths": sim_half_widths}
    return {
        "groups": groups,
        "reference_group": labels[best] if best is not None else None,
        "min_impact_ratio": worst["impact_ratio"] if worst else None,
        "min_impact_ratio_group": worst["group"] if worst else None,
        "four_fifths_verdict": VERDICT_WORDS[verdict.outcome],
        "four_fifths": {"outcome": verdict.outcome, "remedy": verdict.remedy, "rule": FOUR_FIFTHS_RULE,
                        "rests_on": "the noisy people count groups.total and the noisy favourable rates above"},
        "simultaneous": sim,
    }


def impact_ratio_bounds(fav_rate: Estimate, scales: Mapping[str, float], *, eligible: np.ndarray,
                        family: int) -> tuple[np.ndarray, np.ndarray]:
    """95% bounds on each group's impact ratio against the truly highest eligible group, all at once.

    The reference group is itself noisy and chosen because its noisy rate is
    the highest, so treating it as fixed under-covers when groups are close
    (its noise is then biased upwards). Instead every known group's rate gets a
    Bonferroni interval at level ``0.05 / family`` (``family``: the number of
    known groups, a public count); with probability at least 95% all of them
    cover at once, and then each true ratio ``r_i / max_j r_j`` lies in
    ``[lo_i / max_j hi_j, min(hi_i / max_j lo_j, 1)]`` whichever group is truly
    highest. The bounds hold simultaneously, so a verdict read from them
    (:func:`four_fifths`) is wrong with probability at most 5%.
    """
    h = half_widths(fav_rate, scales, alpha=ALPHA / max(family, 1))
    r = fav_rate.value
    lo = np.clip(r - h, 0.0, 1.0)
    hi = np.clip(r + h, 0.0, 1.0)
    ok = eligible & np.isfinite(lo) & np.isfinite(hi)
    top_hi = float(np.max(hi[ok])) if ok.any() else np.nan
    top_lo = float(np.max(lo[ok])) if ok.any() else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        ir_lo = np.where(top_hi > 0, lo / top_hi, 0.0)
        ir_hi = np.where(top_lo > 0, np.minimum(hi / top_lo, 1.0), 1.0)
    ir_lo = np.where(ok, np.minimum(ir_lo, 1.0), np.nan)
    ir_hi = np.where(ok, ir_hi, np.nan)
    return ir_lo, ir_hi


def four_fifths(ratio_lo: np.ndarray, ratio_hi: np.ndarray, *, people: float) -> Evidence:
    """The three-state four-fifths verdict from simultaneous impact-ratio bounds.

    ``violated`` when some group's upper bound is under 0.8; ``holds`` when every
    eligible group's lower bound is at least 0.8; otherwise ``not enough evidence``.
    """
    observed = max(int(round(people)), 0) if np.isfinite(people) else 0
    what = "people (noisy count)"
    if ratio_lo.size < 2:
        return Evidence(outcome=NOT_ENOUGH, observed=observed, what=what, remedy=(
            "more people in at least two known groups (each needs the minimum share) or a larger --epsilon"))
    if np.any(ratio_hi < FOUR_FIFTHS):
        return Evidence(outcome=VIOLATED, observed=observed, what=what)
    if np.all(ratio_lo >= FOUR_FIFTHS):
        return Evidence(outcome=HOLDS, observed=observed, what=what)
    return Evidence(outcome=NOT_ENOUGH, observed=observed, what=what,
                    remedy="a larger --epsilon (less noise) or more people (narrower intervals)")


def _simultaneous(ests: Mapping[str, Estimate], scales: Mapping[str, float]) -> dict[str, Any]:
    """Bonferroni half-widths (level ``0.05 / m`` for the ``m`` figures of each list)."""
    m = max(len(e) for e in ests.values())
    return {"method": "Bonferroni", "figures": m, "alpha_per_figure": ALPHA / m,
            "half_widths": {k: _nan_none(half_widths(e, scales, alpha=ALPHA / m)) for k, e in ests.items()}}


def _nan_none(x: np.ndarray) -> list[float | None]:
    return [float(v) if np.isfinite(v) else None for v in x]


def _histogram_section(t: NoisyTable, exact: ExactTable, scales: Mapping[str, float]) -> dict[str, Any]:
    est = t.estimate()
    n_inc, nb = t.values.shape
    overall = est.linear(np.kron(np.ones((1, n_inc)), np.eye(nb)))
    signed = figures(overall, scales)
    nonneg = nonnegative_counts(t.values).sum(axis=0)
    return {
        "bins": list(exact.axes[1][1]),
        "overall": {
            "signed": signed,
            "nonnegative": [_nonneg_figure(int(nonneg[i]), signed[i]) for i in range(nb)],
        },
        "simultaneous": _simultaneous({"overall": overall}, scales),
        "by_income_quintile": f"see tables.score_histogram (ledger entry {t.entry})",
    }


def _nonneg_figure(value: int, signed: dict[str, Any]) -> dict[str, Any]:
    """A non-negative count with the signed figure's interval clipped at 0 and widened to include it."""
    lo, hi = signed["ci95"]
    return {"value": value, "ci95": [max(min(lo, value), 0.0), max(hi, value)],
            "ledger_entries": signed["ledger_entries"], "derived": True}
