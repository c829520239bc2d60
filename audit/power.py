"""How much more evidence would decide an undecided verdict, and when no practical amount would.

An interval around an estimate shrinks as ``1/sqrt(n)``. With ``h`` the
interval's half-width on the threshold's side and ``d`` the distance from the
estimate to the threshold, the interval stops straddling the threshold at
about ``n * (h / d)**2`` observations. That extrapolation is only advice
worth giving where the size really decides it:

- an estimate *on* the threshold (``d = 0``, e.g. a gap of 0.000 against an
  allowed gap of 0, or a group compared with itself) is decided by no sample
  size;
- more than :data:`MAX_GROWTH` times the present evidence is not advised: the
  ``1/sqrt(n)`` rule is an extrapolation, and an estimate that close to the
  threshold is, for an auditor, on it (assumption: a hundredfold larger audit
  is the most we call a practical remedy).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["MAX_GROWTH", "observations_to_decide"]

#: Largest multiple of the present evidence a "rerun with more" advice may ask for (assumption, see above).
MAX_GROWTH = 100


def observations_to_decide(n: int, estimate: float, interval: Sequence[float], threshold: float) -> int | None:
    """Observations at which the interval would stop straddling ``threshold``; ``None`` when no practical number does.

    Returns ``n`` when the interval already clears the threshold, ``None``
    when the estimate sits on the threshold, the interval is unbounded on its
    side, or more than ``MAX_GROWTH * n`` observations would be needed.

    Examples
    --------
    >>> observations_to_decide(1000, 0.78, (0.74, 0.82), 0.8)
    4000
    >>> observations_to_decide(1000, 0.8, (0.74, 0.82), 0.8) is None
    True
    """
    lo, hi, est, thr = float(interval[0]), float(interval[1]), float(estimate), float(threshold)
    d = abs(est - thr)
    h = (est - lo) if est >= thr else (hi - est)
    if n <= 0 or d <= 1e-12 * max(1.0, abs(thr)) or not math.isfinite(d) or not math.isfinite(h):
        return None
    if h <= d:
        return int(n)
    need = math.ceil(n * (h / d) ** 2 - 1e-9)
    return need if need <= MAX_GROWTH * n else None
