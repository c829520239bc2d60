"""The contract's score checks: one min/max pass lets good scores through and sends every bad one to its message.

:func:`scorers.protocol.validate_score_frame` looks at the scores' range
once and runs the checks that name the row only when that pass finds a NaN,
an infinity or a magnitude of 2**31 or more. Each kind of bad score, alone
or beside another, at the first, a middle or the last row, must still be
refused with the message naming the first bad row, and scores just inside
the limits must pass unchanged.

A frame already in canonical form (the reference scorers' frames: its
tier column carries :func:`scorers.protocol.tier_dtype`) is taken as it
is rather than rebuilt: it must come out equal, dtypes, index and bits
included, to the frame the column-by-column check rebuilds, and every bad
score or tier in it must still be refused with the same message.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.errors import ScorerContractError
from audit.population.model import PopulationView, synthesize
from scorers.joint_punishment import JointPunishment
from scorers.protocol import MAX_ABS_SCORE, tier_dtype, validate_score_frame
from scorers.rongcheng import Rongcheng
from scorers.sesame import Sesame
from scorers.suining import Suining
from tests.audit.faulty_scorers import Plain

N = 9


VIEW = PopulationView(
    people=pd.DataFrame({"person_id": np.arange(100, 100 + N)}),
    events=pd.DataFrame({"person_id": np.zeros(0, dtype=np.int64)}),
    ties=None,
    horizon_months=1,
)


def frame_of(score: np.ndarray, canonical: bool = False) -> pd.DataFrame:
    """A frame of :class:`Plain`'s declarations: everyone 'good', nobody banned, with these scores.

    ``canonical``: its tier column carries the contract's own dtype (the frame is then checked as it is).
    """
    n = len(score)
    codes = np.zeros(n, dtype=np.int8)
    tier = (pd.Categorical.from_codes(codes, dtype=tier_dtype(("good", "bad"))) if canonical
            else pd.Categorical.from_codes(codes, categories=["good", "bad"]))
    return pd.DataFrame({"score": score, "tier": tier, "no_train": np.zeros(n, dtype=bool)})


@pytest.mark.parametrize("canonical", [False, True], ids=["rebuilt", "as-is"])
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
def test_each_bad_score_is_refused_naming_its_row(row, bad, message, canonical):
    score = np.linspace(-10.0, 10.0, N)
    score[row] = bad
    with pytest.raises(ScorerContractError) as err:
        validate_score_frame(Plain(), frame_of(score, canonical), VIEW)
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


# ----------------------------------------------------------------------------- frames taken as they are


REFERENCE = [Suining(), Rongcheng(), Sesame(), JointPunishment()]


@pytest.fixture(scope="module")
def tiny():
    return synthesize("tiny", size=700, seed=3).view()


def rebuilt_form(frame: pd.DataFrame, tiers: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` with an equal tier dtype that is not the contract's own object: the check rebuilds it column by column."""
    codes = frame["tier"].cat.codes.to_numpy()
    return frame.assign(tier=pd.Categorical.from_codes(codes, categories=list(tiers)))


def expected_frame(frame: pd.DataFrame, tiers: tuple[str, ...]) -> pd.DataFrame:
    """The validated frame written out: the same values, tiers as a plain categorical, a default row index."""
    data = {c: frame[c].to_numpy() for c in frame.columns}
    data["tier"] = pd.Categorical(frame["tier"].astype(object).to_numpy(), categories=list(tiers))
    return pd.DataFrame(data, index=pd.RangeIndex(len(frame)))


@pytest.mark.parametrize("scorer", REFERENCE, ids=lambda s: s.name)
@pytest.mark.parametrize("people", ["all", "a few, with their own index"])
def test_a_canonical_frame_is_taken_as_the_rebuilt_one(tiny, scorer, people):
    view = tiny
    if people != "all":
        rows = np.arange(3, len(tiny.people), 17)
        view = PopulationView(people=tiny.people.iloc[rows], events=tiny.events, ties=tiny.ties,
                              horizon_months=tiny.horizon_months)
    as_of = view.horizon_months - 1
    frame = scorer.score(view, as_of=as_of)
    assert frame["tier"].dtype is tier_dtype(scorer.tiers)  # the reference scorers' frames are in canonical form
    taken = validate_score_frame(scorer, frame, view)
    rebuilt = validate_score_frame(scorer, rebuilt_form(frame, scorer.tiers), view)
    written_out = expected_frame(frame, scorer.tiers)
    for other in (rebuilt, written_out):
        pd.testing.assert_frame_equal(taken, other, check_exact=True, check_index_type=True, check_column_type=True)
        assert taken["score"].to_numpy().view(np.int64).tolist() == other["score"].to_numpy().view(np.int64).tolist()
    assert isinstance(taken.index, pd.RangeIndex) and taken.index.equals(pd.RangeIndex(len(view.people)))
    assert [type(r) for r in taken["reasons"].head(50)] == [tuple] * min(50, len(taken))
    assert frame.index.equals(view.people.index)  # the scorer's own frame keeps the people's index


def test_a_canonical_frame_with_a_missing_tier_is_refused():
    frame = frame_of(np.zeros(N), canonical=True)
    codes = np.zeros(N, dtype=np.int8)
    codes[5] = -1
    frame["tier"] = pd.Categorical.from_codes(codes, dtype=tier_dtype(("good", "bad")))
    with pytest.raises(ScorerContractError, match="tier nan at row 5 is not one of the declared tiers"):
        validate_score_frame(Plain(), frame, VIEW)


def test_canonical_rows_in_another_order_are_put_in_the_people_order():
    frame = frame_of(np.arange(N, dtype=np.float64), canonical=True).set_axis(VIEW.people.index)
    order = np.array([3, 0, 8, 1, 7, 2, 6, 4, 5])
    out = validate_score_frame(Plain(), frame.iloc[order], VIEW)
    assert out["score"].tolist() == list(range(N))
    assert isinstance(out.index, pd.RangeIndex)


def test_reasons_of_text_come_out_as_the_rebuilt_frame_has_them():
    # an object column of strings is not taken as it is: pandas gives the rebuilt frame its own dtype for text
    reasons = np.empty(N, dtype=object)
    reasons[:] = ["late"] * N
    frame = frame_of(np.zeros(N), canonical=True).assign(reasons=pd.Series(reasons, dtype=object))
    assert frame["reasons"].dtype == object
    out = validate_score_frame(Plain(), frame, VIEW)
    rebuilt = validate_score_frame(Plain(), rebuilt_form(frame, Plain.tiers), VIEW)
    pd.testing.assert_frame_equal(out, rebuilt, check_exact=True)
    assert out["reasons"].dtype == pd.DataFrame({"r": reasons}, copy=False)["r"].dtype


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda f: f.assign(extra=np.zeros(N, dtype=bool)), r"undeclared column\(s\) \['extra'\]"),
        (lambda f: f.drop(columns="no_train"), "declared sanction 'no_train' has no column"),
        (lambda f: f.assign(no_train=np.zeros(N, dtype=np.int8) + 2), "sanction column 'no_train' must be boolean"),
        (lambda f: f.iloc[:-1], "returned 8 rows for 9 people"),
    ],
    ids=["extra column", "no sanction column", "sanction not boolean", "a row short"],
)
def test_a_canonical_frame_with_a_bad_column_is_refused(change, message):
    with pytest.raises(ScorerContractError, match=message):
        validate_score_frame(Plain(), change(frame_of(np.zeros(N), canonical=True)), VIEW)
