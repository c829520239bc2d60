"""Cell layouts: codes, unknown categories, marginals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.errors import InvalidArgument
from audit.population.groups import UNKNOWN, layout_for
from audit.population.spec import load_spec


def test_encode_and_marginal_by_hand():
    layout = layout_for(("urban",), spec=load_spec("tiny"))
    assert layout.names == ("income_quintile", "education", "urban")
    assert layout.shape == (6, 5, 3)
    people = pd.DataFrame(
        {
            "income_quintile": [1, 5, 5, 9],
            "education": ["tertiary", "primary_or_less", "tertiary", "phd"],
            "urban": [True, False, True, None],
        }
    )
    codes = layout.encode(people)
    # C order: (q, e, u) -> (q * 5 + e) * 3 + u
    assert codes.tolist() == [(0 * 5 + 3) * 3 + 1, (4 * 5 + 0) * 3 + 0, (4 * 5 + 3) * 3 + 1, (5 * 5 + 4) * 3 + 2]
    n = np.bincount(codes, minlength=layout.n_cells)
    by_q = layout.marginal(n, ("income_quintile",))
    assert by_q.tolist() == [1, 0, 0, 0, 2, 1]
    by_qe = layout.marginal(n, ("income_quintile", "education"))
    assert by_qe.shape == (6, 5) and by_qe[4, 3] == 1 and by_qe[5, 4] == 1
    assert layout.groups(("urban",)) == [(False,), (True,), (UNKNOWN,)]


def test_age_is_binned_by_spec_bands():
    spec = load_spec("china-2020")
    layout = layout_for(("age",), spec=spec)
    att = layout.attribute("age")
    codes = att.encode(pd.Series([18, 29, 30, 79, 80, np.nan]))
    assert codes.tolist() == [0, 0, 1, 3, 4, 4]
    assert att.labels[-1] == UNKNOWN


def test_unknown_attribute_is_a_clear_error():
    with pytest.raises(InvalidArgument, match="by='shoe_size'"):
        layout_for(("shoe_size",), spec=load_spec("tiny"))
