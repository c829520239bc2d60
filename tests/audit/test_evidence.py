"""Three-outcome evidence and exact binomial intervals."""

from __future__ import annotations

import pytest

from audit.evidence import HOLDS, NOT_ENOUGH, VIOLATED, Evidence, clopper_pearson


def test_zero_successes_gets_the_closed_form_upper_bound() -> None:
    # For k = 0 the Clopper-Pearson upper bound solves (1 - p)^n = alpha / 2.
    for n in (1, 5, 30, 1000):
        lo, hi = clopper_pearson(0, n)
        assert lo == 0.0
        assert hi == pytest.approx(1 - 0.025 ** (1 / n), rel=1e-9)


def test_all_successes_mirror_zero_successes() -> None:
    lo, hi = clopper_pearson(30, 30)
    assert hi == 1.0
    assert lo == pytest.approx(0.025 ** (1 / 30), rel=1e-9)


def test_interval_matches_binomial_tail_definition() -> None:
    # The bounds are where the binomial tail probability equals 2.5%.
    from scipy.stats import binom

    k, n = 7, 40
    lo, hi = clopper_pearson(k, n)
    assert binom.sf(k - 1, n, lo) == pytest.approx(0.025, abs=1e-9)
    assert binom.cdf(k, n, hi) == pytest.approx(0.025, abs=1e-9)


def test_empty_and_bad_counts() -> None:
    assert clopper_pearson(0, 0) is None
    with pytest.raises(ValueError, match="outside"):
        clopper_pearson(5, 3)


def test_only_holds_passes() -> None:
    assert Evidence(outcome=HOLDS, observed=100, what="people").passed
    assert not Evidence(outcome=VIOLATED, observed=100, what="people").passed
    short = Evidence(outcome=NOT_ENOUGH, observed=1, what="sanctioned people", needed=400,
                     remedy="--audit-replay-sample 4000")
    assert not short.passed
    text = short.describe()
    assert "1 sanctioned people" in text and "400" in text and "--audit-replay-sample 4000" in text
