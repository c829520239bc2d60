"""The one place OpenDP is configured, and the measurements every release uses.

``opendp.enable_features("contrib")`` is called here and nowhere else. Every
noisy figure the harness publishes comes from :func:`count_measurement`: the
OpenDP Laplace measurement on a vector of 64-bit integers under the L1 metric,
which OpenDP samples from the *discrete* Laplace distribution. Integer inputs
and integer noise avoid the floating-point attack on textbook Laplace noise
(Mironov, "On significance of the least significant bits for differential
privacy", CCS 2012); noise is never drawn with numpy.

The helpers below turn a noise scale into a 95% interval and back (OpenDP's
accuracy helpers), and give the exact variance and fourth cumulant of the
discrete Laplace distribution, which the interval of a figure computed from
several noisy counts needs.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import opendp.accuracy as _accuracy
import opendp.domains as _domains
import opendp.measurements as _measurements
import opendp.metrics as _metrics
from opendp.mod import enable_features

from audit.errors import InvalidArgument

# The one call in the code base (``opendp.prelude`` is not imported: it pulls in scikit-learn).
enable_features("contrib")

__all__ = [
    "ALPHA",
    "MECHANISM",
    "CountMeasurement",
    "count_half_width",
    "count_measurement",
    "epsilon_for_half_width",
    "half_width_for_epsilon",
    "noise_fourth_cumulant",
    "noise_variance",
    "opendp_version",
    "scale_for_half_width",
]

#: 1 - confidence of every published interval (95% intervals).
ALPHA = 0.05
#: How the ledger names the mechanism of :func:`count_measurement`.
MECHANISM = "opendp.measurements.make_laplace (discrete Laplace on i64 vector, L1 sensitivity)"


def opendp_version() -> str:
    """The installed OpenDP version (recorded in published.json)."""
    from importlib.metadata import version

    return version("opendp")


@dataclass(frozen=True, slots=True, kw_only=True)
class CountMeasurement:
    """An OpenDP measurement on an integer vector with its stated sensitivity."""

    measurement: Any
    """The ``opendp.mod.Measurement`` (not picklable; never stored in a ledger)."""
    sensitivity: int
    """``d_in``: the L1 distance one person can move the vector (their contribution bound)."""
    scale: float
    """Discrete Laplace noise scale of every coordinate."""
    epsilon: float
    """What OpenDP's privacy map reports for ``d_in``: the ε this measurement costs."""

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """Release the noisy vector (one OpenDP call)."""
        data = np.asarray(values, dtype=np.int64)
        return np.asarray(self.measurement(data.tolist()), dtype=np.int64)


def count_measurement(*, sensitivity: int, epsilon: float) -> CountMeasurement:
    """The discrete Laplace measurement on an i64 vector that costs at most ``epsilon``.

    Parameters
    ----------
    sensitivity : int
        L1 sensitivity ``d_in`` of the vector: how far one person's records can
        move it (e.g. 1 for a histogram where each person is in one bin).
    epsilon : float
        Target privacy loss. The scale is ``sensitivity / epsilon``, nudged up
        until OpenDP's privacy map reports no more than ``epsilon``.
    """
    if isinstance(sensitivity, bool) or not isinstance(sensitivity, (int, np.integer)) or sensitivity < 1:
        raise InvalidArgument(f"sensitivity {sensitivity!r}: give a whole number >= 1 (a person's L1 contribution bound)")
    if not (isinstance(epsilon, (int, float)) and math.isfinite(epsilon) and epsilon > 0):
        raise InvalidArgument(f"epsilon {epsilon!r}: give a finite number > 0")
    space = _domains.vector_domain(_domains.atom_domain(T="i64")), _metrics.l1_distance(T="i64")
    scale = float(sensitivity) / float(epsilon)
    for _ in range(64):
        meas = _measurements.make_laplace(*space, scale=scale)
        cost = float(meas.map(int(sensitivity)))
        if cost <= epsilon:
            return CountMeasurement(measurement=meas, sensitivity=int(sensitivity), scale=scale, epsilon=cost)
        scale = math.nextafter(scale, math.inf) * (1 + 1e-15)
    raise AssertionError("could not find a scale whose privacy map is within epsilon")  # pragma: no cover


@functools.lru_cache(maxsize=4096)
def count_half_width(scale: float, *, alpha: float = ALPHA) -> float:
    """Half-width ``h`` of the ``1 - alpha`` interval ``value ± h`` of one noisy count.

    OpenDP's :func:`opendp.accuracy.discrete_laplacian_scale_to_accuracy`, floored:
    the noise is an integer, so ``P(|noise| <= floor(a)) = P(|noise| < a) >= 1 - alpha``.
    """
    acc = _accuracy.discrete_laplacian_scale_to_accuracy(float(scale), float(alpha))
    if math.isfinite(acc):
        return float(math.floor(acc))
    # OpenDP overflows for scales far below one person; then P(|noise| > m) = 2 q^(m+1) / (1 + q) directly
    q = math.exp(-1.0 / float(scale))
    m = 0
    while 2 * q ** (m + 1) / (1 + q) > alpha:  # pragma: no cover - q is ~0 here, so m = 0
        m += 1
    return float(m)


def scale_for_half_width(half_width: float, *, alpha: float = ALPHA) -> float:
    """Largest discrete Laplace scale whose ``1 - alpha`` half-width is ``half_width``.

    The inverse accuracy helper (:func:`opendp.accuracy.accuracy_to_discrete_laplacian_scale`).
    """
    if not (math.isfinite(half_width) and half_width > 0):
        raise InvalidArgument(f"accuracy {half_width!r}: give a half-width > 0 (in people)")
    return float(_accuracy.accuracy_to_discrete_laplacian_scale(float(half_width), float(alpha)))


def epsilon_for_half_width(half_width: float, *, sensitivity: int = 1, alpha: float = ALPHA) -> float:
    """ε one counting query needs so each of its counts is within ``± half_width`` with ``1 - alpha`` probability."""
    return float(sensitivity) / scale_for_half_width(half_width, alpha=alpha)


def half_width_for_epsilon(epsilon: float, *, sensitivity: int = 1, alpha: float = ALPHA) -> float:
    """The per-count ``1 - alpha`` half-width a counting query gets from ``epsilon``."""
    if not (math.isfinite(epsilon) and epsilon > 0):
        raise InvalidArgument(f"epsilon {epsilon!r}: give a finite number > 0")
    return count_half_width(float(sensitivity) / float(epsilon), alpha=alpha)


def _q(scale: np.ndarray | float) -> np.ndarray:
    return np.exp(-1.0 / np.asarray(scale, dtype=np.float64))


def noise_variance(scale: np.ndarray | float) -> np.ndarray:
    """Variance of discrete Laplace noise of ``scale``: ``2q / (1 - q)^2`` with ``q = exp(-1/scale)``.

    The discrete Laplace is the difference of two independent geometric variables
    (failures before a success of probability ``1 - q``), each of variance ``q / (1 - q)^2``.
    """
    q = _q(scale)
    return 2.0 * q / (1.0 - q) ** 2


def noise_fourth_cumulant(scale: np.ndarray | float) -> np.ndarray:
    """Fourth cumulant of discrete Laplace noise: ``2 q (1 + 4q + q^2) / (1 - q)^4``.

    Twice the geometric distribution's fourth cumulant (odd cumulants cancel in
    the difference). For large scales it tends to ``12 scale^4``, the continuous
    Laplace value (excess kurtosis 3).
    """
    q = _q(scale)
    return 2.0 * q * (1.0 + 4.0 * q + q * q) / (1.0 - q) ** 4
