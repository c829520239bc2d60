"""Compiled per-person components of Sesame read from the people table: capacity and identity.

Why compiled: written in numpy, capacity and identity took about fifteen
whole-array passes a batch (``np.nan_to_num`` alone is five: the NaN test,
both infinity tests, the copy and the fill), each streaming the batch's
people through memory. Here one pass prepares the incomes for ``np.log``
(which stays numpy's, so every logarithm is the one the numpy scorer took)
and one pass gives both components.

Every value is bit for bit the one of the numpy formulation in
:meth:`scorers.sesame.Sesame.score` before this module: each elementwise
expression keeps numpy's operand order and its NaN and infinity handling.
``tests/scorers/kernels/test_compiled.py`` checks both kernels against it.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["income_for_log", "person_components"]

_jit = numba.njit(cache=True, nogil=True)
_FLOAT_MAX = np.finfo(np.float64).max


@numba.njit(cache=True, nogil=True, inline="always")
def _clip01(x):
    """``np.clip(x, 0.0, 1.0)`` for a float (NaN stays NaN)."""
    if x < 0.0:
        return 0.0
    if x > 1.0:
        return 1.0
    return x


@_jit
def income_for_log(income, floor):
    """``np.maximum(np.nan_to_num(income, nan=floor), 1.0)``: the incomes whose logarithm capacity reads.

    ``income`` is float64; NaN becomes ``floor``, infinities the largest finite
    floats (as ``np.nan_to_num`` makes them), then anything below 1 becomes 1.
    """
    out = np.empty(income.shape[0], np.float64)
    for i in range(income.shape[0]):
        x = income[i]
        if x != x:
            x = floor
        elif x == np.inf:
            x = _FLOAT_MAX
        elif x == -np.inf:
            x = -_FLOAT_MAX
        out[i] = x if x >= 1.0 else 1.0
    return out


@_jit
def person_components(log_income, lo, hi, education, levels, age, age_missing, share, full_age):
    """``(capacity, identity)`` per person, as the numpy scorer computed them.

    - capacity: ``np.clip((log_income - lo) / (hi - lo), 0.0, 1.0)``;
    - identity: ``share * np.clip(edu / levels, 0.0, 1.0) + (1.0 - share) *
      np.clip((age - 18.0) / (full_age - 18.0), 0.0, 1.0)`` with ``edu`` the
      education code (a missing code, -1, counts as 0) and ``age`` float64
      (NaN counts as ``age_missing``, infinities as the largest finite floats,
      as ``np.nan_to_num`` makes them).
    """
    n = log_income.shape[0]
    capacity = np.empty(n, np.float64)
    identity = np.empty(n, np.float64)
    width = hi - lo
    rest = 1.0 - share
    age_span = full_age - 18.0
    for i in range(n):
        capacity[i] = _clip01((log_income[i] - lo) / width)
        edu = float(max(education[i], 0))
        a = age[i]
        if a != a:
            a = age_missing
        elif a == np.inf:
            a = _FLOAT_MAX
        elif a == -np.inf:
            a = -_FLOAT_MAX
        identity[i] = share * _clip01(edu / levels) + rest * _clip01((a - 18.0) / age_span)
    return capacity, identity
