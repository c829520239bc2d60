"""The ``dynamics`` section of a scorer in ``results.json``, from a simulation's merged tallies.

Per audited attribute (income quintile, education), in fairlearn's
vocabulary: each group's favourable rate year by year (``by_group``), the gap
between the groups that were best and worst off at the start
(``difference``) and their impact ratio (``ratio``), the change of that gap
since the start and whether it grows (:mod:`audit.dynamics.verdict`); the
share of score gains bought rather than earned (the gaming gap), ties lost,
critical posts not made (the chilling effect), people caught in the sanction
→ lower income → arrears loop, and the share who changed at least one
behaviour in the first year. Every figure has its 95% interval
(:mod:`audit.dynamics.intervals`).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np

from audit.dynamics.intervals import change_interval, gap_interval, mean_interval, ratio_interval, share_of_sums, wilson
from audit.dynamics.simulation import Simulation
from audit.dynamics.tally import GROUPINGS
from audit.dynamics.verdict import DEFAULT_TOLERANCE, gap_growth

__all__ = ["MIN_CELL_SHARE", "dynamics_section", "long_run_gap"]

#: Groups under this share of people are reported but never chosen as the best- or worst-off group
#: (the NYC LL144 small-category rule the disparity audit applies too).
MIN_CELL_SHARE = 0.02


def _rate(k: float, n: float) -> dict[str, Any]:
    return {"n": int(n), "count": int(k), "rate": (k / n) if n else None, "ci": wilson(k, n)}


def _attribute(s: dict[str, np.ndarray], labels: tuple[str, ...], years: int) -> dict[str, Any]:
    n = s["n"]
    fav = s["favourable"]
    eligible = [g for g in range(len(labels)) if n[g] >= MIN_CELL_SHARE * n.sum() and n[g] > 0]
    out: dict[str, Any] = {"groups": list(labels)}
    if len(eligible) < 2:
        out["reason"] = "fewer than two groups hold the minimum share of people"
        return out
    start = fav[0] / np.where(n > 0, n, 1)
    ref = max(eligible, key=lambda g: (start[g], -g))
    cmp_ = min(eligible, key=lambda g: (start[g], g))
    out.update(reference=labels[ref], compared=labels[cmp_], reference_n=int(n[ref]), compared_n=int(n[cmp_]))
    rows = []
    for y in range(years + 1):
        k1, k2 = fav[y][ref], fav[y][cmp_]
        change = change_interval(s["up"][y][ref], s["down"][y][ref], n[ref], s["up"][y][cmp_], s["down"][y][cmp_], n[cmp_])
        rows.append({
            "year": y,
            "by_group": {labels[g]: _rate(fav[y][g], n[g]) for g in range(len(labels))},
            "sanctioned": {labels[g]: _rate(s["sanctioned"][y][g], n[g]) for g in range(len(labels))},
            "gap": k1 / n[ref] - k2 / n[cmp_],
            "gap_ci": gap_interval(k1, n[ref], k2, n[cmp_]),
            "impact_ratio": (k2 / n[cmp_]) / (k1 / n[ref]) if k1 > 0 else None,
            "impact_ratio_ci": ratio_interval(k2, n[cmp_], k1, n[ref]),
            "gap_change": change[0] if change else None,
            "gap_change_ci": change[1] if change else None,
        })
    out["years"] = rows
    verdict = gap_growth(out, year=years, tolerance=DEFAULT_TOLERANCE)
    out["gap_growth"] = {"tolerance": DEFAULT_TOLERANCE, "outcome": verdict.outcome, "evidence": verdict.describe()}
    out["gaming"] = _gaming(s, labels)
    out["ties_lost"] = {labels[g]: _mean(s["ties_lost"][g], s["ties_lost_sq"][g], n[g]) for g in range(len(labels))}
    out["chilling"] = {labels[g]: _rate(s["posts_dropped"][g], s["posts_base"][g]) for g in range(len(labels))}
    out["loop"] = {labels[g]: _rate(s["caught"][g], n[g]) for g in range(len(labels))}
    out["changed_first_year"] = {labels[g]: _rate(s["changed_first_year"][g], n[g]) for g in range(len(labels))}
    out["adapters"] = {labels[g]: _rate(s["adapter"][g], n[g]) for g in range(len(labels))}
    return out


def _mean(total: float, squares: float, n: float) -> dict[str, Any]:
    m = mean_interval(total, squares, n)
    return {"n": int(n), "mean": m[0] if m else None, "ci": m[1] if m else None}


def _gaming(s: dict[str, np.ndarray], labels: tuple[str, ...]) -> dict[str, Any]:
    """Share of score gains bought (charity, purchases) rather than earned, per group, and top minus bottom."""
    by_group: dict[str, dict[str, Any]] = {}
    for g, label in enumerate(labels):
        r = share_of_sums(s["gain_b"][g], s["gain_e"][g], s["gain_bb"][g], s["gain_ee"][g], s["gain_be"][g], s["n"][g])
        by_group[label] = {"n": int(s["n"][g]), "bought_share": r[0] if r else None, "ci": r[1] if r else None,
                           "acts_bought": int(s["acts_bought"][g]), "acts_earned": int(s["acts_earned"][g])}
    top, bottom = by_group[labels[-1]], by_group[labels[0]]
    gap = None
    ci = None
    if top["bought_share"] is not None and bottom["bought_share"] is not None:
        gap = top["bought_share"] - bottom["bought_share"]
        if top["ci"] is not None and bottom["ci"] is not None:
            half = np.hypot((top["ci"][1] - top["ci"][0]) / 2, (bottom["ci"][1] - bottom["ci"][0]) / 2)
            ci = (gap - half, gap + half)
    return {"by_group": by_group, "difference": gap, "difference_ci": ci,
            "compared": [labels[-1], labels[0]]}


def dynamics_section(sim: Simulation) -> dict[str, Any]:
    """The ``dynamics`` section of one scorer (``status: failed`` with the error when its simulation failed)."""
    head: dict[str, Any] = {
        "years": sim.years, "months": 12 * sim.years, "start_month": sim.start, "size": sim.size, "seed": sim.seed,
        "rates": asdict(sim.dynamics),
        "seconds": round(sim.seconds, 3),
    }
    if sim.probe is not None:
        head["scheme"] = {"rewards": list(sim.probe.rewarded), "penalises": list(sim.probe.penalised),
                          "probe_people": sim.probe.people}
    if sim.error is not None or sim.tally is None:
        return {"status": "failed", "error": sim.error, **head}
    sums = sim.tally.sums
    by = {a: _attribute(sums[a], GROUPINGS[a], sim.years) for a in ("income_quintile", "education")}
    iso = sums["sanctioned_at_end"]
    isolation = {label: _mean(iso["ties_lost"][g], iso["ties_lost_sq"][g], iso["n"][g])
                 for g, label in enumerate(("unsanctioned", "sanctioned"))}
    total = sums["income_quintile"]
    changed = _rate(total["changed_first_year"].sum(), total["n"].sum())
    lo, hi = sim.dynamics.changed_range
    monthly = total["monthly_favourable"].sum(axis=1) / max(total["n"].sum(), 1)
    return {
        "status": "ok", **head,
        "by": by,
        "isolation": isolation,
        "changed_first_year": {**changed, "survey_range": [lo, hi]},
        "chilling": _rate(total["posts_dropped"].sum(), total["posts_base"].sum()),
        "loop": {**_rate(total["caught"].sum(), total["n"].sum()), "feedback_people": int(total["feedback"].sum()),
                 "economic_sanction_ever": int(total["economic_ever"].sum())},
        "monthly_favourable": [float(x) for x in monthly],
        "monthly_favourable_by_group": {
            a: {label: [float(x) for x in sums[a]["monthly_favourable"][:, g] / max(sums[a]["n"][g], 1)]
                for g, label in enumerate(GROUPINGS[a])}
            for a in ("income_quintile", "education")
        },
        "long_run_gap": long_run_gap(by),
    }


def long_run_gap(by: dict[str, Any]) -> dict[str, Any]:
    """Attribute -> the last year's gap, its interval and its change since the start (for ``scs-audit compare``)."""
    out = {}
    for attr, sec in by.items():
        rows = sec.get("years") or []
        if rows:
            last = rows[-1]
            out[attr] = {"year": last["year"], "gap": last["gap"], "gap_ci": last["gap_ci"],
                         "gap_change": last["gap_change"], "gap_change_ci": last["gap_change_ci"],
                         "outcome": sec.get("gap_growth", {}).get("outcome")}
    return out
