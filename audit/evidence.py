"""Three-outcome verdicts: holds, violated, or not enough evidence.

An auditor signs what the harness says, so no check may pass having seen
nothing. Every verdict — a finding, a four-fifths call, a pytest assertion —
is one :class:`Evidence` value with one of three outcomes, the number of
observations it rests on, how many would settle it, and the option that gets
them. ``not enough evidence`` never reads as a pass: :attr:`Evidence.passed`
is true only for ``holds``.

Exact binomial intervals (:func:`clopper_pearson`) are used where counts are
small: a rate of 0 out of ``n`` gets an upper bound of ``1 - 0.025**(1/n)``
(Clopper and Pearson 1934), never ``[0, 0]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from scipy.special import betaincinv

__all__ = [
    "HOLDS",
    "VIOLATED",
    "NOT_ENOUGH",
    "Outcome",
    "MIN_OBSERVATIONS",
    "MIN_REFERENCE_EVENTS",
    "Evidence",
    "beta_quantile",
    "clopper_pearson",
]

HOLDS: Literal["holds"] = "holds"
VIOLATED: Literal["violated"] = "violated"
NOT_ENOUGH: Literal["not enough evidence"] = "not enough evidence"

#: The three outcomes of every check.
Outcome = Literal["holds", "violated", "not enough evidence"]

#: Fewest observations a population estimate may rest on before it can hold or
#: be violated. With 30 observations and none of them adverse, the exact 95%
#: upper bound on the rate is 11.6% (``clopper_pearson(0, 30)``): below that a
#: "holds" would be a guess.
MIN_OBSERVATIONS = 30

#: Fewest events (sanctions, favourable outcomes) a ratio's reference group
#: must have before the ratio is reported as a finding rather than as unstable.
#: A ratio against a group with a handful of events moves by a factor of two
#: when one person changes (the "2112 times as often" on one person).
MIN_REFERENCE_EVENTS = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """One verdict and what it rests on."""

    outcome: Outcome
    """``holds``, ``violated`` or ``not enough evidence``."""
    observed: int
    """How many observations (people, events, checks) the verdict rests on."""
    what: str
    """What was observed, plural noun (``"sanctioned people"``)."""
    needed: int | None = None
    """How many observations would settle an undecided verdict (``None``: no finite number does, or it is decided)."""
    remedy: str | None = None
    """The exact option that gets more evidence (``"--audit-replay-sample 8000"``)."""

    @property
    def passed(self) -> bool:
        """True only when the check holds: not enough evidence never passes."""
        return self.outcome == HOLDS

    def describe(self) -> str:
        """One sentence on how much evidence there was and what would get more."""
        text = f"{self.outcome}: rests on {self.observed:,} {self.what}"
        if self.outcome != NOT_ENOUGH:
            return text
        if self.needed is not None:
            text += f"; about {self.needed:,} would decide it"
        if self.remedy:
            text += f" — rerun with {self.remedy}"
        return text


def beta_quantile(q: Any, a: Any, b: Any) -> Any:
    """The ``q`` quantile of the Beta(``a``, ``b``) distribution, elementwise (floats or arrays).

    ``scipy.special.betaincinv(a, b, q)``: the function ``scipy.stats.beta.ppf``
    evaluates (the same numbers, tested), without importing ``scipy.stats``,
    which costs every process of a run about a second of start-up.
    """
    return betaincinv(a, b, q)


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float] | None:
    """Exact (Clopper–Pearson) interval for a proportion ``k / n``; ``None`` when ``n == 0``.

    Examples
    --------
    >>> lo, hi = clopper_pearson(0, 30)
    >>> lo, round(hi, 4)
    (0.0, 0.1157)
    """
    if n <= 0:
        return None
    if not 0 <= k <= n:
        raise ValueError(f"clopper_pearson: k={k} is outside 0..n={n}")
    alpha = 1.0 - level
    lo = 0.0 if k == 0 else float(beta_quantile(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(beta_quantile(1 - alpha / 2, k + 1, n - k))
    return (lo if math.isfinite(lo) else 0.0, hi if math.isfinite(hi) else 1.0)
