"""The contract's score checks: one min/max pass lets good scores through and sends every bad one to its message.

:func:`scorers.protocol.validate_score_frame` looks at the scores' range
once and runs the checks that name the row only when that pass finds a NaN,
an infinity or a magnitude of 2**31 or more. Each kind of bad score, alone
or beside another, at the first, a middle or the last row, must still be
refused with the message naming the first bad row, and scores just inside
the limits must pass unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.errors import ScorerContractError
from audit.population.model import PopulationView
from scorers.protocol import MAX_ABS_SCORE, validate_score_frame
from tests.audit.faulty_scorers import Plain

N = 9


VIEW = PopulationView(
    people=pd.DataFrame({"person_id": np.arange(100, 100 + N)}),
    events=pd.DataFrame({"person_id": np.zeros(0, dtype=np.int64)}),
    ties=None,
    horizon_months=1,
)


def frame_of(score: np.ndarray) -> pd.DataFrame:
    """A frame of :class:`Plain`'s declarations: everyone 'good', nobody banned, with these scores."""
    n = len(score)
    return pd.DataFrame({"score": score, "tier": pd.Categorical(["good"] * n, categories=["good", "bad"]),
                         "no_train": np.zeros(n, dtype=bool)})


@pytest.mark.parametrize("row", [0, 4, N - 1])
@pytest.mark.parametrize(
    "bad, message",
    [
        (np.nan, "1 scores are NaN or infinite"),
        (np.inf, "1 scores are NaN or infinite"),
        (-np.inf, "1 scores are NaN or infinite"),
        (MAX_ABS_SCORE, "1 scores are 2**31"),
        (-MAX_ABS_SCORE, "1 scores are 2**31"),
        (1e300, "1 scores are 2**31"),
    ],
)
def test_each_bad_score_is_refused_naming_its_row(row, bad, message):
    score = np.linspace(-10.0, 10.0, N)
    score[row] = bad
    with pytest.raises(ScorerContractError) as err:
        validate_score_frame(Plain(), frame_of(score), VIEW)
    assert message in str(err.value)
    assert f"first at row {row}, person_id {100 + row}" in str(err.value)


def test_a_score_that_is_not_finite_is_named_before_a_huge_one():
    score = np.zeros(N)
    score[2], score[6] = MAX_ABS_SCORE * 4, np.nan
    with pytest.raises(ScorerContractError, match=r"NaN or infinite \(first at row 6"):
        validate_score_frame(Plain(), frame_of(score), VIEW)


def test_scores_just_inside_the_limits_pass_unchanged():
    inside = np.nextafter(MAX_ABS_SCORE, 0.0)
    score = np.array([-inside, inside, 0.0, -0.0, 1.5, -7.0, 2.0**30, -(2.0**30), 5e-324])
    out = validate_score_frame(Plain(), frame_of(score), VIEW)
    assert out["score"].to_numpy().view(np.int64).tolist() == score.view(np.int64).tolist()


def test_no_people_no_scores():
    view = PopulationView(people=VIEW.people.iloc[:0], events=VIEW.events, ties=None, horizon_months=1)
    assert len(validate_score_frame(Plain(), frame_of(np.zeros(0)), view)) == 0
