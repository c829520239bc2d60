"""Which rule drives a gap, as reported: the ``attribution`` section and each attribute's ``driver``.

From the per-coalition group counts that :mod:`audit.disparity.attribution`
collects, :func:`attribution_section` reports each rule's effect on the gap
between two groups and its share of the gap; :func:`driver` names the rule
that explains most of an attribute's favourable gap, or says why none does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from audit.disparity.coalitions import AttributionPlan, leave_one_out, shapley_values
from audit.disparity.group_stats import group_axis, rate
from audit.output.jsonable import finite_or_none as _num

__all__ = ["DRIVER_SHARE", "attribution_section", "driver"]


def _gap_attribution(plan: AttributionPlan, yes: np.ndarray, n: np.ndarray, high: int, low: int) -> dict[str, Any]:
    """Each rule's effect on the gap ``rate[high] - rate[low]`` from per-coalition group counts."""
    r = rate(yes, n[None, :])  # (masks, G)
    gap = r[:, high] - r[:, low]
    value = {mask: float(gap[i]) for i, mask in enumerate(plan.masks)}
    loo = leave_one_out(plan, value)
    phi = shapley_values(plan, value) if plan.method.startswith("shapley") else loo
    total = value[plan.full]
    ok = np.isfinite(total) and total > 0
    rules = {}
    for k, rule in enumerate(plan.rules):
        rules[rule] = {
            "effect": _num(phi[k]),
            "share_of_gap": _num(phi[k] / total) if ok else None,
            "leave_one_out": _num(loo[k]),
            "leave_one_out_share": _num(loo[k] / total) if ok else None,
        }
    top = None
    if ok and np.isfinite(phi).all() and phi.size and phi.max() > 0:
        top = plan.rules[int(np.argmax(phi))]
    return {
        "gap": _num(total),
        "gap_without_rules": _num(value[0]),
        "sample_n": [int(n[high]), int(n[low])],
        "rules": rules,
        "driver": top,
    }


def attribution_section(merged, plan: AttributionPlan, layout, views, info, sample_target: int) -> dict[str, Any]:
    """The ``attribution`` part of the disparity section.

    ``info[view.key]`` holds the group indices the gaps are taken between
    (``best``/``worst`` for the favourable gap, ``most``/``least`` for the
    adverse gap), from the whole population's point estimates.
    """
    sample_n = merged["sample_n"].array
    out: dict[str, Any] = {
        "method": plan.method,
        "rules": list(plan.rules),
        "coalitions": len(plan.masks),
        "permutations": len(plan.permutations),
        "sample_size": int(sample_n.sum()),
        "sample_target": int(sample_target),
        "note": (
            "each rule's contribution to the gap between two groups, measured by re-scoring a person-hash sample "
            "with rules' events removed; effect = the rule's Shapley value on the gap (shapley-*: effects sum to "
            "gap - gap_without_rules) or, for leave-one-out, the gap minus the gap without that rule; "
            "share_of_gap = effect / gap"
        ),
        "by_attribute": {},
        "by_rule": {},
    }
    if plan.error:
        out["error"] = plan.error
    if not plan.rules:
        return out
    for view in views:
        i = info[view.key]
        g_n = group_axis(sample_n, layout, view.keep)
        entry: dict[str, Any] = {}
        if i["best"] is not None and i["worst"] is not None and i["best"] != i["worst"]:
            fav = group_axis(merged["favourable"].array, layout, view.keep)
            entry["favourable"] = {
                "groups": [_group_label(view, i["best"]), _group_label(view, i["worst"])],
                **_gap_attribution(plan, fav, g_n, i["best"], i["worst"]),
            }
        if i["most"] is not None and i["least"] is not None and i["most"] != i["least"]:
            adv = group_axis(merged["adverse"].array, layout, view.keep)
            entry["adverse"] = {
                "groups": [_group_label(view, i["most"]), _group_label(view, i["least"])],
                **_gap_attribution(plan, adv, g_n, i["most"], i["least"]),
            }
        out["by_attribute"][view.key] = entry
    for rule in plan.rules:
        out["by_rule"][rule] = {
            key: entry["favourable"]["rules"][rule]["share_of_gap"] if "favourable" in entry else None
            for key, entry in out["by_attribute"].items()
            if key in ("income_quintile", "education")
        }
    return out


#: Share of a gap one rule must explain to be called the rule driving it ("most of it").
DRIVER_SHARE = 0.5


def driver(attribution: dict[str, Any] | None, key: str) -> dict[str, Any]:
    """The rule driving the favourable gap of one attribute — only when it explains most of it — or why there is none.

    A rule drives the gap when its effect is at least ``DRIVER_SHARE`` of the
    gap. Otherwise ``rule`` is ``None`` and ``reason`` says that no rule does,
    how much the largest explains and how much of the gap remains with every
    rule's events removed (``gap_without_rules``: the score reads something
    other than conduct, such as income directly). ``share_note`` explains a
    share over 100% (other rules narrow the gap) or under 0 (the rule narrows
    it).
    """
    if attribution is None:
        return {"rule": None, "share_of_gap": None, "method": None, "reason": "attribution not run"}
    base = {"method": attribution["method"], "sample_size": attribution["sample_size"]}
    fav = attribution.get("by_attribute", {}).get(key, {}).get("favourable")
    if fav is None:
        reason = attribution.get("error") or ("the scorer has no rules over events" if not attribution["rules"] else "no gap between eligible groups")
        return {"rule": None, "share_of_gap": None, **base, "reason": reason}
    largest = fav["driver"]
    share = fav["rules"][largest]["share_of_gap"] if largest else None
    gap, without = fav["gap"], fav["gap_without_rules"]
    remains = without / gap if gap and without is not None and gap > 0 else None
    out: dict[str, Any] = {
        "rule": None, "share_of_gap": None, "effect": None, "largest_rule": largest, "largest_share": share,
        "remaining_share": remains, "groups": fav["groups"], "gap": gap, "gap_without_rules": without, **base,
    }
    if largest and share is not None and share >= DRIVER_SHARE:
        out.update(rule=largest, share_of_gap=share, effect=fav["rules"][largest]["effect"])
    else:
        out["reason"] = _no_driver_reason(largest, share, remains)
    note = _share_note(share)
    if note:
        out["share_note"] = note
    return out


def _no_driver_reason(largest: str | None, share: float | None, remains: float | None) -> str:
    text = f"no rule explains most of the gap (at least {DRIVER_SHARE:.0%})"
    if largest and share is not None:
        text += f"; the largest, {largest}, explains {share:.0%}"
    else:
        text += "; no rule widens it in the replay sample"
    if remains is not None:
        text += f"; with every rule's events removed {remains:.0%} of the gap remains"
        if remains >= DRIVER_SHARE:
            text += " (the score reads something other than recorded conduct, such as income or education directly)"
    return text


def _share_note(share: float | None) -> str | None:
    if share is None:
        return None
    if share > 1:
        return "a share over 100%: other rules narrow the gap, so this rule alone would make it wider than it is"
    if share < 0:
        return "a negative share: this rule narrows the gap"
    return None


def _group_label(view, i: int) -> Any:
    return view.display(view.labels[i])
