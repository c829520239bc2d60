import math
import re
from pathlib import Path

import numpy as np
import pytest

from audit.errors import InvalidArgument
from audit.privacy.context import (
    count_half_width,
    count_measurement,
    epsilon_for_half_width,
    half_width_for_epsilon,
    noise_fourth_cumulant,
    noise_variance,
    scale_for_half_width,
)

ROOT = Path(__file__).resolve().parents[3]


def _tail(scale: float, m: int) -> float:
    """P(|Y| > m) for discrete Laplace noise: 2 q^(m+1) / (1 + q), q = exp(-1/scale)."""
    q = math.exp(-1 / scale)
    return 2 * q ** (m + 1) / (1 + q)


def _pmf(scale: float) -> tuple[np.ndarray, np.ndarray]:
    q = math.exp(-1 / scale)
    k = np.arange(-int(60 * scale) - 60, int(60 * scale) + 61)
    return k, (1 - q) / (1 + q) * q ** np.abs(k)


@pytest.mark.parametrize("sensitivity,epsilon", [(1, 0.1), (1, 1.0), (3, 0.37), (5000, 0.04)])
def test_measurement_costs_at_most_its_epsilon(sensitivity, epsilon):
    m = count_measurement(sensitivity=sensitivity, epsilon=epsilon)
    assert m.measurement.map(sensitivity) <= epsilon
    assert m.epsilon == m.measurement.map(sensitivity)
    assert m.epsilon == pytest.approx(epsilon, rel=1e-9)
    assert m.scale == pytest.approx(sensitivity / epsilon, rel=1e-9)


def test_measurement_outputs_integers_near_the_input():
    m = count_measurement(sensitivity=1, epsilon=1.0)
    out = m(np.array([10, 1000, 0]))
    assert out.dtype == np.int64 and out.shape == (3,)
    assert np.all(np.abs(out - [10, 1000, 0]) < 60)  # P(|noise| >= 60) at scale 1 is about 1e-26


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_sensitivity_must_be_a_positive_whole_number(bad):
    with pytest.raises(InvalidArgument, match="sensitivity"):
        count_measurement(sensitivity=bad, epsilon=1.0)


@pytest.mark.parametrize("scale", [1e-4, 0.5, 1.0, 2.5, 10.0, 123.4])
def test_half_width_is_the_smallest_covering_integer(scale):
    h = count_half_width(scale)
    assert h == int(h)
    assert _tail(scale, int(h)) <= 0.05 + 1e-12
    assert _tail(scale, int(h) - 1) > 0.05


@pytest.mark.parametrize("scale", [0.7, 3.0, 25.0])
def test_variance_and_fourth_cumulant_match_the_pmf(scale):
    k, p = _pmf(scale)
    var = float(np.sum(p * k**2))
    m4 = float(np.sum(p * k**4))
    assert noise_variance(scale) == pytest.approx(var, rel=1e-9)
    assert noise_fourth_cumulant(scale) == pytest.approx(m4 - 3 * var**2, rel=1e-8)


def test_large_scale_tends_to_continuous_laplace():
    s = 1e4
    assert noise_variance(s) == pytest.approx(2 * s * s, rel=1e-3)
    assert noise_fourth_cumulant(s) == pytest.approx(12 * s**4, rel=1e-3)


@pytest.mark.parametrize("accuracy", [3.0, 10.0, 250.0])
def test_inverse_accuracy_helpers(accuracy):
    scale = scale_for_half_width(accuracy)
    # at that scale an error of `accuracy` or more happens with probability 0.05
    q = math.exp(-1 / scale)
    assert 2 * q**accuracy / (1 + q) == pytest.approx(0.05, rel=1e-6)
    eps = epsilon_for_half_width(accuracy)
    assert eps == pytest.approx(1 / scale)
    assert half_width_for_epsilon(eps) <= accuracy
    assert half_width_for_epsilon(eps * 0.9) >= accuracy - 1  # less epsilon, no better accuracy


def test_contrib_enabled_in_one_place_and_no_numpy_noise():
    sources = {p: p.read_text() for p in (ROOT / "audit").rglob("*.py")}
    enabling = [p for p, text in sources.items() if "enable_features(" in text]
    assert [p.relative_to(ROOT).as_posix() for p in enabling] == ["audit/privacy/context.py"]
    for p in (ROOT / "audit" / "privacy").glob("*.py"):
        code = "\n".join(line.split("#")[0] for line in p.read_text().splitlines())
        assert not re.search(r"np\.random|numpy\.random|default_rng|^\s*(import|from) random|\.laplace\(", code,
                             re.MULTILINE), p.name
