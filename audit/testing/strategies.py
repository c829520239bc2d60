"""Hypothesis strategies for property tests of scorers and audits.

::

    from hypothesis import given
    from audit.testing.strategies import event_logs, populations, scorer_params

    @given(data=st.data())
    def test_my_property(data):
        pop = draw(populations(max_size=30))
        log = draw(event_logs(pop))
        ...

Every strategy checks its arguments when it is called, not when a value is
drawn (Hypothesis ``strategies/_internal`` does the same), and raises
:class:`hypothesis.errors.InvalidArgument` naming the argument, the bad value
and what to give instead. Everything drawn is valid by the project's own
rules: specs pass :func:`audit.population.spec.parse_spec`, populations come from
:func:`audit.population.model.synthesize`, event logs have the canonical columns and
dtypes of :func:`audit.population.model.events_frame`, parameter dicts are accepted
by the scorer's ``with_params``.

Hypothesis is a test dependency (``pip install scs-audit[test]``); this
module imports it, the rest of the package does not.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from audit.population.model import Population, PopulationView, events_frame
from audit.population.spec import (
    PopulationSpec,
    builtin_spec_names,
    fixtures_dir,
    load_spec,
    parse_spec,
)
from audit.vocab import EVENT_KINDS, SOURCES

if TYPE_CHECKING:
    from scorers.protocol import Scorer

__all__ = ["population_specs", "populations", "event_logs", "scorer_params", "GOOD_DEEDS", "MAX_POPULATION_SIZE"]

#: Event kinds a points scheme rewards (Rongcheng's measures add points for volunteering,
#: blood donation and good deeds; docs/sources.md).
GOOD_DEEDS = ("volunteering", "blood_donation", "charity_donation")

#: Largest population :func:`populations` draws: property tests stay small.
MAX_POPULATION_SIZE = 5000

#: Upper bounds of drawn event amounts by unit (assumption: generous but plausible).
_AMOUNT_MAX = {"hours": 40.0, "yuan": 20_000.0, "none": 0.0}


def _whole(name: str, value: Any, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidArgument(f"{name}={value!r} must be a whole number")
    if value < lo or (hi is not None and value > hi):
        bounds = f">= {lo}" if hi is None else f"between {lo} and {hi}"
        raise InvalidArgument(f"{name}={value!r} is out of range; give a whole number {bounds}")
    return int(value)


# ----------------------------------------------------------------------------- specs


def _base_table(base: str | Path) -> tuple[dict[str, Any], str]:
    """The raw TOML table of a builtin spec name or a spec path, checked by loading it once."""
    text = str(base)
    path = Path(text)
    if not path.suffix and not path.exists():
        if text not in builtin_spec_names():
            raise InvalidArgument(f"base={text!r} is neither a builtin spec ({', '.join(builtin_spec_names())}) nor a TOML file")
        path = fixtures_dir() / "populations" / f"{text}.toml"
    try:
        load_spec(path)
        return tomllib.loads(path.read_text(encoding="utf-8")), path.stem
    except (OSError, ValueError) as exc:
        raise InvalidArgument(f"base={text!r} cannot be loaded as a population spec: {exc}") from None


def _shares(k: int) -> SearchStrategy[list[float]]:
    """``k`` non-negative shares summing to one within the spec's tolerance (at least one positive)."""

    def norm(w: list[int]) -> list[float]:
        total = float(sum(w))
        out = [x / total for x in w]
        i = int(np.argmax(w))
        out[i] = 1.0 - sum(v for j, v in enumerate(out) if j != i)
        return out

    return st.lists(st.integers(0, 100), min_size=k, max_size=k).filter(lambda w: sum(w) > 0).map(norm)


def population_specs(
    base: str | Path = "tiny",
    *,
    min_horizon_months: int = 6,
    max_horizon_months: int = 36,
    max_rate_factor: float = 4.0,
) -> SearchStrategy[PopulationSpec]:
    """Valid population specs: perturbations of ``base``.

    Drawn from ``base``'s TOML table: the horizon, the sex, urban, region,
    education and age shares, the socio-economic loadings, ties, misrecord
    shares, appeal probabilities, and every event kind's yearly rate scaled
    by a factor in ``[0, max_rate_factor]``. Each draw is validated by
    :func:`audit.population.spec.parse_spec`, so it is a spec the project accepts.

    Parameters
    ----------
    base : str or Path
        A builtin spec name (``tiny``, ``china-2020``) or a spec TOML path.
    min_horizon_months, max_horizon_months : int
        Range of the drawn horizon.
    max_rate_factor : float
        Largest multiplier on an event kind's yearly rate.
    """
    table, stem = _base_table(base)
    lo_h = _whole("min_horizon_months", min_horizon_months, 1)
    hi_h = _whole("max_horizon_months", max_horizon_months, lo_h, 600)
    if isinstance(max_rate_factor, bool) or not isinstance(max_rate_factor, (int, float)) or not 0 <= max_rate_factor <= 100:
        raise InvalidArgument(f"max_rate_factor={max_rate_factor!r}; give a number between 0 and 100")
    n_regions = len(table["region"]["names"])
    n_ages = len(table["age"]["edges"]) - 1
    rated = [k for k, v in table["events"].items() if "rate_per_year" in v]
    mult = table["misrecord"]["education_multiplier"]
    top_share = min(1.0, (1.0 - 1e-9) / max(mult)) if max(mult) > 0 else 1.0
    unit = st.floats(0.0, 1.0, allow_nan=False)

    @st.composite
    def specs_(draw: Any) -> PopulationSpec:
        t = {k: (dict(v) if isinstance(v, dict) else v) for k, v in table.items()}
        t["name"] = f"{stem}-drawn"
        t["horizon_months"] = draw(st.integers(lo_h, hi_h), label="horizon_months")
        t["people"] = {**table["people"], "male_share": draw(unit, label="male_share")}
        t["urban"] = {**table["urban"], "share": draw(unit, label="urban_share"),
                      "ses_loading": draw(st.floats(-0.9, 0.9), label="urban_ses_loading")}
        t["region"] = {**table["region"], "shares": draw(_shares(n_regions), label="region_shares")}
        t["education"] = {**table["education"], "shares": draw(_shares(4), label="education_shares"),
                          "ses_loading": draw(st.floats(-0.9, 0.9), label="education_ses_loading")}
        t["age"] = {**table["age"], "shares": draw(_shares(n_ages), label="age_shares")}
        t["ties"] = {"friends_per_person": draw(st.integers(0, 6), label="friends_per_person"),
                     "homophily": draw(unit, label="homophily")}
        t["misrecord"] = {
            **table["misrecord"],
            "by_source": {s: draw(st.floats(0.0, top_share), label=f"misrecord_{s}") for s in SOURCES},
        }
        events = {}
        for kind, ev in table["events"].items():
            ev = dict(ev)
            if kind in rated:
                ev["rate_per_year"] = ev["rate_per_year"] * draw(st.floats(0.0, float(max_rate_factor)), label=f"rate_{kind}")
            events[kind] = ev
        t["events"] = events
        t["appeal"] = {**table["appeal"], "filing_probability": draw(unit, label="filing_probability"),
                       "success_if_wrong": draw(unit, label="success_if_wrong")}
        return parse_spec(t, file=f"<population_specs({stem})>")

    return specs_()


# ----------------------------------------------------------------------------- populations


def populations(
    spec: PopulationSpec | str | SearchStrategy[PopulationSpec] | None = None,
    *,
    min_size: int = 1,
    max_size: int = 50,
    seed: int | None = None,
) -> SearchStrategy[Population]:
    """Small synthetic populations drawn with :func:`audit.population.model.synthesize`.

    Parameters
    ----------
    spec : PopulationSpec, str, strategy or None
        The spec (a builtin name, a TOML path, a spec, or a strategy such as
        :func:`population_specs`); default the builtin ``tiny`` spec.
    min_size, max_size : int
        Range of the number of people (at most :data:`MAX_POPULATION_SIZE`).
    seed : int, optional
        Fix the generator's seed; by default it is drawn.
    """
    lo = _whole("min_size", min_size, 1, MAX_POPULATION_SIZE)
    hi = _whole("max_size", max_size, lo, MAX_POPULATION_SIZE)
    seeds = st.integers(0, 2**32 - 1) if seed is None else st.just(_whole("seed", seed, 0))
    if spec is None:
        spec = "tiny"
    if isinstance(spec, SearchStrategy):
        specs = spec
    elif isinstance(spec, PopulationSpec):
        specs = st.just(spec)
    elif isinstance(spec, (str, Path)):
        try:
            specs = st.just(load_spec(spec))
        except ValueError as exc:
            raise InvalidArgument(f"spec={str(spec)!r} cannot be loaded: {exc}") from None
    else:
        raise InvalidArgument(f"spec={spec!r}; give a PopulationSpec, a builtin spec name, a TOML path or a strategy of specs")

    from audit.population.model import synthesize

    @st.composite
    def populations_(draw: Any) -> Population:
        s = draw(specs, label="spec")
        if not isinstance(s, PopulationSpec):
            raise InvalidArgument(f"spec strategy drew {type(s).__name__}, not a PopulationSpec")
        size = draw(st.integers(lo, hi), label="size")
        return synthesize(s, size=size, seed=draw(seeds, label="seed"))

    return populations_()


# ----------------------------------------------------------------------------- event logs


def _amount_units(population: Population | PopulationView) -> dict[str, str]:
    spec = getattr(population, "spec", None)
    if not isinstance(spec, PopulationSpec):
        spec = load_spec("tiny")
    units = {e.kind: e.amount_unit for e in spec.events}
    return {k: units.get(k, "none") for k in EVENT_KINDS}


def event_logs(
    population: Population | PopulationView,
    *,
    min_events: int = 0,
    max_events: int = 40,
    kinds: Sequence[str] | None = None,
    with_truth: bool = True,
) -> SearchStrategy[pd.DataFrame]:
    """Valid event logs for the people of ``population``.

    Each event has a person of ``population.people``, a month within the
    horizon (``0 .. horizon_months - 1``), a kind of
    :data:`audit.vocab.EVENT_KINDS` (or of ``kinds``) with its domain, a
    source of :data:`audit.vocab.SOURCES`, a non-negative amount in the
    kind's unit (hours, yuan or none, from the population's spec) and, with
    ``with_truth``, a ``genuine`` flag. Rows are in (person, month, kind)
    order, as the generator writes them; use ``population.with_events(log)``
    for a population over the drawn log.
    """
    people = getattr(population, "people", None)
    horizon = getattr(population, "horizon_months", None)
    if not isinstance(people, pd.DataFrame) or "person_id" not in people.columns or not isinstance(horizon, (int, np.integer)):
        raise InvalidArgument(f"population={type(population).__name__}; give an audit.population.model.Population or PopulationView")
    if horizon < 1:
        raise InvalidArgument(f"population.horizon_months={horizon}; a log needs at least one month")
    lo = _whole("min_events", min_events, 0, 10_000)
    hi = _whole("max_events", max_events, lo, 10_000)
    kinds = tuple(EVENT_KINDS if kinds is None else kinds)
    unknown = [k for k in kinds if k not in EVENT_KINDS]
    if unknown or not kinds:
        raise InvalidArgument(f"kinds={list(kinds)!r}: {unknown or 'empty'}; use kinds from {', '.join(EVENT_KINDS)}")
    if not isinstance(with_truth, bool):
        raise InvalidArgument(f"with_truth={with_truth!r}; give True or False")
    ids = people["person_id"].to_numpy(dtype=np.int64)
    if ids.size == 0:
        if lo > 0:
            raise InvalidArgument(f"min_events={lo} but the population has no people to own events")
        return st.just(events_frame(ids, ids, ids.astype(np.int8), ids.astype(np.int8), ids.astype(float),
                                    ids.astype(bool) if with_truth else None))
    codes = [EVENT_KINDS.index(k) for k in kinds]
    units = _amount_units(population)
    amounts = {c: st.just(0.0) if _AMOUNT_MAX[units[EVENT_KINDS[c]]] == 0 else
               st.floats(0.0, _AMOUNT_MAX[units[EVENT_KINDS[c]]], allow_nan=False, allow_infinity=False) for c in codes}
    event = st.tuples(
        st.integers(0, ids.size - 1), st.integers(0, int(horizon) - 1), st.sampled_from(codes),
        st.integers(0, len(SOURCES) - 1), st.booleans(),
    ).flatmap(lambda t: st.tuples(st.just(t), amounts[t[2]]))

    def build(rows: list[tuple[tuple[int, int, int, int, bool], float]]) -> pd.DataFrame:
        if rows:
            arr = np.array([r[0][:4] for r in rows], dtype=np.int64).reshape(-1, 4)
            genuine = np.array([r[0][4] for r in rows], dtype=bool)
            amount = np.array([r[1] for r in rows], dtype=np.float64)
        else:
            arr, genuine, amount = np.zeros((0, 4), np.int64), np.zeros(0, bool), np.zeros(0)
        person = ids[arr[:, 0]]
        order = np.lexsort((arr[:, 2], arr[:, 1], person))
        return events_frame(
            person[order], arr[order, 1], arr[order, 2].astype(np.int8), arr[order, 3].astype(np.int8), amount[order],
            genuine[order] if with_truth else None,
        )

    return st.lists(event, min_size=lo, max_size=hi).map(build)


# ----------------------------------------------------------------------------- scorer params


def _value_strategy(default: Any) -> SearchStrategy[Any]:
    if isinstance(default, bool):
        return st.booleans()
    if isinstance(default, int):
        return st.integers(0, max(3 * default, 36))
    if isinstance(default, float):
        return st.floats(0.0, max(4.0 * default, 1.0), allow_nan=False, allow_infinity=False)
    if default is None:
        return st.none() | st.integers(1, 72)
    return st.just(default)


def scorer_params(scorer: Scorer | str, *, fixed: Mapping[str, Any] | None = None) -> SearchStrategy[dict[str, Any]]:
    """Parameter dicts the scorer accepts: ``scorer.with_params(**params)`` succeeds for every draw.

    Each parameter of ``scorer.default_params`` (or ``scorer.params``) is
    drawn in its default's type — booleans; whole numbers from 0 to
    ``max(3 * default, 36)``; reals from 0 to ``max(4 * default, 1)``; for a
    ``None`` default, ``None`` or 1 to 72 — and draws the scorer rejects are
    filtered out.

    Parameters
    ----------
    scorer : scorer or str
        A scorer object, or a registry spec (``suining``, ``module:attr``).
    fixed : mapping, optional
        Parameters to hold at a value rather than draw.
    """
    if isinstance(scorer, str):
        from scorers.registry import load_scorer

        try:
            scorer = load_scorer(scorer)
        except (LookupError, ValueError) as exc:
            raise InvalidArgument(f"scorer={scorer!r} cannot be loaded: {exc}") from None
    with_params = getattr(scorer, "with_params", None)
    if not callable(with_params):
        raise InvalidArgument(f"scorer={scorer!r} has no with_params(); give a scorer (see scorers.protocol.Scorer)")
    defaults = getattr(scorer, "default_params", None)
    if not isinstance(defaults, Mapping):
        defaults = getattr(scorer, "params", None)
    if not isinstance(defaults, Mapping):
        raise InvalidArgument(f"scorer={scorer!r} declares neither default_params nor params as a mapping")
    fixed = dict(fixed or {})
    unknown = sorted(set(fixed) - set(defaults))
    if unknown:
        raise InvalidArgument(f"fixed names {unknown}, not parameters of {getattr(scorer, 'name', scorer)!r}: {sorted(defaults)}")
    try:
        with_params(**fixed)
    except (ValueError, TypeError) as exc:
        raise InvalidArgument(f"fixed={fixed!r} is rejected by the scorer: {exc}") from None
    if not defaults:
        return st.just({})
    parts = {k: (st.just(fixed[k]) if k in fixed else _value_strategy(v)) for k, v in defaults.items()}

    def accepted(params: dict[str, Any]) -> bool:
        try:
            with_params(**params)
        except (ValueError, TypeError):
            return False
        return True

    return st.fixed_dictionaries(parts).filter(accepted)
