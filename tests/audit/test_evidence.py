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


def test_beta_quantile_is_scipy_stats_beta_ppf_to_the_bit() -> None:
    import numpy as np
    from scipy.stats import beta

    from audit.evidence import beta_quantile

    rng = np.random.default_rng(7)
    a = np.concatenate([rng.integers(1, 10**6, 5000).astype(float), rng.uniform(1e-3, 50, 5000), [1e-300, 1.0, 0.5]])
    b = np.concatenate([rng.integers(1, 10**6, 5000).astype(float), rng.uniform(1e-3, 50, 5000), [3.0, 1e-300, 7.0]])
    q = rng.choice([0.005, 0.025, 0.05, 0.5, 0.95, 0.975, 0.995], a.size)
    assert np.array_equal(beta_quantile(q, a, b), beta.ppf(q, a, b), equal_nan=True)
    assert beta_quantile(0.975, 4.0, 27.0) == beta.ppf(0.975, 4.0, 27.0)


def test_a_run_s_modules_do_not_import_scipy_stats() -> None:
    # scipy.stats costs every process of a run about a second of start-up; its beta quantile is scipy.special's
    import subprocess
    import sys

    code = ("import sys, audit.engine.executors, audit.disparity.audit, audit.engine.finalizing, audit.runner, "
            "audit.replay.stats, audit.cli, scorers.registry; print('scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False"]
