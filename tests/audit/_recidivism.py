"""A people file shaped like a public recidivism-risk file, built here (nothing is downloaded).

Columns as in the published two-year recidivism file: ``person_id``, ``race``,
``sex``, ``age``, ``decile_score`` (1-10, higher is riskier) and
``two_year_recid`` (1: re-arrested within two years), and ``screening_date``
(when the person was scored, 2013-2014). The figures are drawn,
not real: scores run higher for one group and outcomes rise with the score,
so group rates differ and every error rate is defined in every large group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RACES = ("African-American", "Caucasian", "Hispanic", "Other", "Asian")


def recidivism_people(n: int = 4000, *, seed: int = 7, unknown_race: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    race = rng.choice(RACES, n, p=[0.5, 0.34, 0.09, 0.055, 0.015]).astype(object)
    sex = rng.choice(["Male", "Female"], n, p=[0.8, 0.2])
    age = rng.integers(18, 70, n)
    decile = np.clip(rng.integers(1, 11, n) + (race == "African-American") * rng.integers(0, 3, n), 1, 10)
    recid = (rng.random(n) < 0.15 + 0.05 * decile).astype(int)
    race[rng.choice(n, unknown_race, replace=False)] = None
    ids = rng.permutation(np.arange(1, n + 1) * 7)  # not sorted, not consecutive
    dates = pd.Timestamp("2013-01-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D")
    return pd.DataFrame({"person_id": ids, "race": race, "sex": sex, "age": age, "decile_score": decile,
                         "two_year_recid": recid, "screening_date": dates.strftime("%Y-%m-%d")})
