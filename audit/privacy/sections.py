"""The per-scorer part of published.json, computed from noisy tables only.

Everything here is post-processing of OpenDP outputs (:class:`NoisyTable`):
margins, rates, means, impact ratios, tier shares, non-negative versions and
intervals. Nothing here sees an exact figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from audit.groups import UNKNOWN
from audit.privacy.context import ALPHA, count_half_width
from audit.privacy.figures import (
    Estimate,
    NoisyTable,
    figure,
    figures,
    half_widths,
    nonnegative_counts,
    ratio,
)
from audit.privacy.queries import (
    APPEAL_COUNTS,
    APPEALS_PER_PERSON,
    ExactTable,
    ScoreBounds,
    public_labels,
)

__all__ = ["FOUR_FIFTHS", "MIN_SHARE", "scorer_meta", "scorer_section"]

#: Groups under this share of people are excluded from impact ratios (NYC LL144; as in the disparity audit).
MIN_SHARE = 0.02
#: EEOC four-fifths rule, 29 CFR 1607.4(D).
FOUR_FIFTHS = 0.8


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
                   split: Mapping[str, float], bounds: ScoreBounds | None, options: Any) -> dict[str, Any]:
    """One scorer's published figures: tables, groups, tier shares, histogram, appeal.

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
    if "appeal_counts" in noisy:
        out["appeal"] = _appeal_section(noisy["appeal_counts"], scales)
    return out


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
        f_i = figures(impact, scales, lower=0.0)
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
        if impact is not None and eligible[i] and i != best:
            g["impact_ratio"] = f_i[i]
        elif impact is not None and i == best:
            g["impact_ratio"] = figure(1.0, 0.0, f_f[i]["ledger_entries"], derived=True)
        else:
            g["impact_ratio"] = None
        g["excluded_from_ratios"] = bool(not eligible[i])
        groups.append(g)
    ratios = [(g["impact_ratio"]["value"], g) for i, g in enumerate(groups)
              if g["impact_ratio"] and g["impact_ratio"]["value"] is not None and i != best]
    worst = min(ratios, key=lambda x: x[0])[1] if ratios else None
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
        "four_fifths_violation": bool(worst is not None and worst["impact_ratio"]["value"] < FOUR_FIFTHS),
        "simultaneous": sim,
    }


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


def _appeal_section(t: NoisyTable, scales: Mapping[str, float]) -> dict[str, Any]:
    """Appeal figures per income quintile and per education level, from the noisy cell table."""
    est = t.estimate()
    n_inc, n_edu, n_counts = t.values.shape
    out: dict[str, Any] = {}
    sim: dict[str, Any] = {}
    for attr, w in (("income_quintile", np.kron(np.eye(n_inc), np.ones((1, n_edu)))),
                    ("education", np.kron(np.ones((1, n_inc)), np.eye(n_edu)))):
        col = {c: est.linear(np.kron(w, np.eye(n_counts)[j][None, :])) for j, c in enumerate(APPEAL_COUNTS)}
        est_s = ratio(col["succeeded"], col["filed"])
        est_w = ratio(col["wrong_succeeded"], col["wrong_filed"])
        filed = figures(col["filed"], scales, lower=0.0)
        success = figures(est_s, scales, lower=0.0, upper=1.0)
        wrong = figures(est_w, scales, lower=0.0, upper=1.0)
        sim[f"by_{attr}"] = _simultaneous({"filed": col["filed"], "success_rate": est_s,
                                            "success_rate_if_wrong": est_w}, scales)
        out[f"by_{attr}"] = [{"group": label, "filed": filed[i], "success_rate": success[i],
                              "success_rate_if_wrong": wrong[i]} for i, label in enumerate(public_labels(attr))]
    return {**out, "simultaneous": sim, "contribution_bound_k": APPEALS_PER_PERSON,
            "note": ("from the appeal audit's replay sample; counts are appeals, each person's first k; rates are "
                     "noisy successes over noisy filings")}
