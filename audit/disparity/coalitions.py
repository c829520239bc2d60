"""The coalition game of rule attribution: which coalitions of rules to replay, and each rule's value.

A rule's contribution to a gap is its Shapley value in the game whose value
of a coalition (a set of active rules, as a bitmask) is the gap measured with
only those rules' events kept. :func:`make_plan` picks the coalitions
(all ``2**m`` up to ``EXACT_MAX_RULES`` rules; else leave-one-out, or seeded
antithetic permutations); :func:`shapley_values` and :func:`leave_one_out`
turn the measured values into each rule's effect. See
:mod:`audit.disparity.attribution` for the method as a whole.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = [
    "EXACT_MAX_RULES",
    "PERMUTATION_PAIRS",
    "AttributionPlan",
    "leave_one_out",
    "make_plan",
    "shapley_values",
]

#: Exact Shapley values up to this many rules (2**6 = 64 replays per chunk).
EXACT_MAX_RULES = 6
#: Antithetic permutation pairs for more rules when permutations are asked
#: for (0 = leave-one-out; 4 pairs = 8 permutations, about ``8 * m`` replays).
PERMUTATION_PAIRS = 0

@dataclass(frozen=True, slots=True, kw_only=True)
class AttributionPlan:
    """The rules of one scorer and the coalitions every chunk replays."""

    rules: tuple[str, ...]
    """Event kinds that move the scorer's output on the probe, in vocabulary order."""
    method: str
    """``shapley-exact``, ``shapley-permutations``, ``leave-one-out`` or ``none`` (no rules, or the probe failed)."""
    masks: tuple[int, ...]
    """Coalitions replayed, as bitmasks of *active* rules (bit ``i`` = ``rules[i]`` kept), sorted."""
    permutations: tuple[tuple[int, ...], ...] = ()
    """Rule orders averaged over by ``shapley-permutations``."""
    error: str | None = None
    """Why there is no attribution, when the probe failed."""

    @property
    def full(self) -> int:
        """The mask with every rule active (the scorer as it is)."""
        return (1 << len(self.rules)) - 1

    def index(self, mask: int) -> int:
        return self.masks.index(mask)


def make_plan(rules: tuple[str, ...], *, seed: int, permutation_pairs: int = PERMUTATION_PAIRS) -> AttributionPlan:
    """The coalitions to replay for ``rules`` (see the module docstring)."""
    m = len(rules)
    full = (1 << m) - 1
    if m == 0:
        return AttributionPlan(rules=(), method="none", masks=())
    if m <= EXACT_MAX_RULES:
        return AttributionPlan(rules=rules, method="shapley-exact", masks=tuple(range(full + 1)))
    loo = {0, full} | {full ^ (1 << k) for k in range(m)}
    if permutation_pairs <= 0:
        return AttributionPlan(rules=rules, method="leave-one-out", masks=tuple(sorted(loo)))
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0xA77B])))
    perms: list[tuple[int, ...]] = []
    for _ in range(permutation_pairs):
        p = tuple(int(i) for i in rng.permutation(m))
        perms += [p, p[::-1]]
    masks = set(loo)
    for p in perms:
        mask = 0
        for k in p:
            mask |= 1 << k
            masks.add(mask)
    return AttributionPlan(rules=rules, method="shapley-permutations", masks=tuple(sorted(masks)), permutations=tuple(perms))



def shapley_values(plan: AttributionPlan, value: Mapping[int, float]) -> np.ndarray:
    """Each rule's Shapley value of the game ``value[mask of active rules]``.

    Exact over all subsets for ``shapley-exact``; the mean marginal
    contribution over ``plan.permutations`` for ``shapley-permutations``.
    Either way the values sum to ``value[full] - value[0]``.
    """
    m = len(plan.rules)
    phi = np.zeros(m)
    if plan.method == "shapley-exact":
        for k in range(m):
            bit = 1 << k
            for s in range(1 << m):
                if s & bit:
                    continue
                size = bin(s).count("1")
                w = math.factorial(size) * math.factorial(m - size - 1) / math.factorial(m)
                phi[k] += w * (value[s | bit] - value[s])
        return phi
    for p in plan.permutations:
        mask = 0
        for k in p:
            phi[k] += value[mask | (1 << k)] - value[mask]
            mask |= 1 << k
    return phi / max(len(plan.permutations), 1)


def leave_one_out(plan: AttributionPlan, value: Mapping[int, float]) -> np.ndarray:
    """``value[full] - value[full without rule k]`` for each rule."""
    full = plan.full
    return np.array([value[full] - value[full ^ (1 << k)] for k in range(len(plan.rules))])
