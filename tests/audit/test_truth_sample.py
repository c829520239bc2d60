"""Ground truth on a sample: the sampled counts equal a full re-scoring restricted to the sample."""

from __future__ import annotations

import numpy as np
import pytest

from audit.disparity import DisparityAudit
from audit.engine import AuditOptions, process_chunk
from audit.ground_truth import TRUTH_STREAM, truth_rate
from audit.groups import layout_for
from audit.randomness import person_uniform
from audit.synth import synthesize
from scorers.registry import load_scorer

SIZE, SAMPLE, SEED = 4000, 900, 3


@pytest.fixture(scope="module")
def population():
    return synthesize("tiny", size=SIZE, seed=11)


def joint_counts(scorer, pop, cells, n_cells, rows):
    """(deserved, recorded) counts per cell for ``rows``, from two plain scorings of everyone."""
    as_of = pop.horizon_months - 1
    recorded = scorer.score(pop.view(), as_of=as_of)
    genuine = scorer.score(pop.genuine_only().view(), as_of=as_of)

    def sanctioned(frame):
        return np.any([frame[s].to_numpy() for s in scorer.sanctions], axis=0)

    code = 2 * sanctioned(genuine).astype(np.int64) + sanctioned(recorded)
    return np.bincount(cells[rows] * 4 + code[rows], minlength=n_cells * 4).reshape(n_cells, 4)


@pytest.mark.parametrize("name", ["suining", "sesame", "rongcheng"])
def test_sampled_truth_counts_are_the_full_counts_of_the_sampled_people(population, name):
    """Suining and rongcheng declare no ties (only misrecorded people re-scored); sesame reads friends (one hop)."""
    scorer = load_scorer(name)
    layout = layout_for(())
    options = AuditOptions(seed=SEED, population_size=SIZE, bootstrap=0)
    audit = DisparityAudit(attribution_sample=0, truth_sample=SAMPLE)
    out = process_chunk(population, [(name, scorer)], [audit], layout, options)
    assert not out.errors
    got = out.aggregates[name]["disparity"]["ground_truth"]["sanction"].array

    ids = population.people["person_id"].to_numpy()
    rows = np.flatnonzero(person_uniform(SEED, TRUTH_STREAM, ids) < SAMPLE / SIZE)
    cells = layout.encode(population.people)
    want = joint_counts(scorer, population, cells, layout.n_cells, rows)
    np.testing.assert_array_equal(got, want)
    # the sample is a binomial draw around SAMPLE people
    assert abs(int(got.sum()) - SAMPLE) < 5 * np.sqrt(SAMPLE)


def test_sampled_truth_is_reported_with_its_share(population):
    scorer = load_scorer("suining")
    layout = layout_for(())
    options = AuditOptions(seed=SEED, population_size=SIZE, bootstrap=20)
    audit = DisparityAudit(attribution_sample=0, truth_sample=SAMPLE)
    out = process_chunk(population, [("s", scorer)], [audit], layout, options)
    from audit.engine import AuditContext

    ctx = AuditContext(scorer=scorer, label="s", layout=layout, options=options, synthetic=True, size=SIZE,
                       horizon_months=population.horizon_months, spec=population.spec)
    truth = audit.finalize(out.aggregates["s"]["disparity"], ctx)["ground_truth"]
    assert truth["sample_share"] == pytest.approx(SAMPLE / SIZE)
    assert "hash sample" in truth["sample_note"]
    assert truth["n"] < SIZE


def test_truth_rate_is_everyone_for_small_populations_and_zero_samples():
    assert truth_rate(1_000_000, 200_000) == 1.0
    assert truth_rate(0, 10**9) == 1.0
    assert truth_rate(1_000, 0) == 1.0
    assert truth_rate(1_000_000, 1_400_000_000) == pytest.approx(1 / 1400)


def test_negative_truth_sample_is_refused_with_the_fix():
    from audit.errors import InvalidArgument

    with pytest.raises(InvalidArgument, match="truth_sample=-1"):
        DisparityAudit(truth_sample=-1)
