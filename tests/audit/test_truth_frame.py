"""The ground-truth frame equals scoring the genuine events of everyone, however it is computed.

For scorers that do not read ties only people with a misrecorded event are
scored again; the result must be the frame a full re-scoring gives.
"""

from __future__ import annotations

import pandas as pd
import pytest

from audit.engine.contract import AuditOptions, ScoredChunk, score_checked
from audit.population.groups import layout_for
from audit.population.model import synthesize
from scorers.protocol import scorer_tags
from scorers.registry import load_scorer


@pytest.fixture(scope="module")
def pop():
    return synthesize("tiny", size=20_000, seed=8)


@pytest.mark.parametrize(
    "spec", ["suining", "rongcheng", "joint_punishment", "sesame", "suining:penalty_expiry_months=12",
             "rongcheng:penalty_expiry_months=6", "joint_punishment:honour_performance=false"],
)
def test_truth_frame_equals_full_rescoring(pop, spec):
    scorer = load_scorer(spec)
    view = pop.view()
    as_of = pop.horizon_months - 1
    frame = score_checked(scorer, view, as_of=as_of)
    layout = layout_for(())
    chunk = ScoredChunk(population=pop, view=view, scorer=scorer, label=spec, frame=frame,
                        cells=layout.encode(pop.people), layout=layout, options=AuditOptions(), as_of=as_of)
    genuine = pop.events["genuine"].to_numpy()
    assert not genuine.all()
    full = score_checked(scorer, pop.view(pop.events[genuine]), as_of=as_of)
    truth = chunk.truth_frame()
    pd.testing.assert_frame_equal(truth, full)
    if not scorer_tags(scorer).uses_ties:
        assert not truth["score"].equals(frame["score"])  # misrecorded events did change some scores
