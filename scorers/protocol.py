"""The scorer contract.

A scorer is event-sourced: a pure function of the people, their recorded
events up to a month, and their ties. That one shape lets the harness replay
history for any plugin without reading its rules: remove an overturned event
and score again (appeal), append good behaviour and watch the tier
(reversibility), drop one domain's events (spill-over).

A scorer is a :class:`typing.Protocol`: a third party need not import this
package to write a valid one (scikit-learn's duck typing).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from audit.errors import ScorerContractError
from audit.population.columns import category_codes
from audit.population.view import PopulationView
from audit.vocab import DOMAINS

__all__ = [
    "Scorer",
    "ScorerTags",
    "scorer_tags",
    "scorer_label",
    "scorer_lookback",
    "tier_dtype",
    "validate_score_frame",
    "validate_declarations",
    "MAX_REASONS",
    "MAX_ABS_SCORE",
]

#: Adverse-action notices give the principal reasons; more than four is "not likely
#: helpful" (Regulation B, 12 CFR 1002, Supplement I, 9(b)(2)-1).
MAX_REASONS = 4

#: Largest magnitude a score may have (exclusive): the harness sums scores exactly per group on a
#: ``2**-32`` grid in 64-bit integers (:func:`audit.aggregate.exact_sum_limbs`), which holds ``|score| < 2**31``.
MAX_ABS_SCORE = 2.0**31


@dataclass(frozen=True, slots=True, kw_only=True)
class ScorerTags:
    """Capabilities a checker or audit needs to know about a scorer."""

    uses_protected_attributes: bool = False
    """Reads income, education, sex, age or region directly."""
    uses_ties: bool = False
    """Reads ``view.ties`` (friends' conduct can change a person's score)."""
    non_deterministic: bool = False
    """Declared non-deterministic (the conformance suite then expects a failure)."""
    replayable: bool = True
    """Scores follow from the events by rules that can be re-run; False for precomputed scores
    (:class:`scorers.precomputed.PrecomputedScorer`), which the replay audits then mark not applicable."""


@runtime_checkable
class Scorer(Protocol):
    """What the harness needs of a scorer.

    Optional, with defaults where a run takes the scorer in
    (:class:`scorers.adapter.PluginScorer`): ``description: str`` (empty),
    ``params: Mapping[str, Any]`` (none) and ``with_params(**params)``
    returning a variant (a scorer without it has no variants), and
    ``lookback_months: int | None`` (:func:`scorer_lookback`): the score at
    ``as_of`` reads only events with ``as_of - month < lookback_months``, so a
    long simulation may forget older ones; absent or None, the whole record.
    """

    name: str
    version: str
    tiers: tuple[str, ...]
    """Tier labels, best first."""
    favourable_tiers: frozenset[str]
    """Tiers that count as a favourable outcome."""
    sanctions: Mapping[str, str]
    """Sanction name -> the domain of life it restricts (one of :data:`audit.vocab.DOMAINS`)."""

    def score(self, view: PopulationView, *, as_of: int) -> pd.DataFrame:
        """Score every row of ``view.people`` from events with ``month <= as_of``.

        Returns a frame aligned to ``view.people`` (same length and order, or
        ``view.people``'s index on its rows in any order) with columns ``score``
        (a finite float, ``|score| < 2**31``), ``tier`` (one of ``tiers``), one
        bool column per declared sanction, and optionally ``reasons`` (up to four
        reason codes per person, any sequence of strings).
        """
        ...


def scorer_tags(scorer: Any) -> ScorerTags:
    """The scorer's tags, or the defaults when it declares none."""
    tags = getattr(scorer, "tags", None)
    return tags if isinstance(tags, ScorerTags) else ScorerTags()


def scorer_label(scorer: Any) -> str:
    """``name`` or ``name:key=value,...`` for a variant with non-default params."""
    try:
        defaults = getattr(scorer, "default_params", None) or {}
        params = dict(getattr(scorer, "params", {}) or {})
        changed = {k: v for k, v in sorted(params.items()) if defaults.get(k, object()) != v}
        name = str(scorer.name)
    except Exception:  # noqa: BLE001 - broken declarations are reported when the scorer runs
        return str(getattr(scorer, "__name__", type(scorer).__name__))
    if not changed:
        return name
    return f"{name}:" + ",".join(f"{k}={v}" for k, v in changed.items())


def scorer_lookback(scorer: Any) -> int | None:
    """Months of events the scorer declares it reads (``lookback_months``), or None for its whole record.

    Read liberally: a scorer that declares nothing, None, anything but a whole
    number of at least 1, or whose attribute raises, is given every event.
    Forgetting events a scorer reads would change its scores silently; giving
    it more than it reads costs only memory.
    """
    try:
        value = getattr(scorer, "lookback_months", None)
    except Exception:  # noqa: BLE001 - a plugin's attribute may raise anything
        return None
    if isinstance(value, np.integer):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None
    return value


_RESERVED_COLUMNS = ("score", "tier", "reasons", "person_id")


@functools.lru_cache(maxsize=256)
def tier_dtype(tiers: tuple[str, ...]) -> pd.CategoricalDtype:
    """The dtype of a validated frame's ``tier`` column: the categories ``tiers`` in their order, unordered.

    One object per tuple of tiers, shared by every frame that uses it: building
    a categorical from codes and a list of categories checks the categories
    each time (about a quarter of a millisecond, whatever the number of rows),
    from a dtype it does not. A frame whose ``tier`` column carries this very
    object is known to hold the tiers in order, so :func:`validate_score_frame`
    need not map its categories (the reference scorers build their frames so).
    """
    return pd.CategoricalDtype(list(tiers), ordered=False)


def validate_declarations(scorer: Any) -> None:
    """Check what a scorer declares: ``name``, ``tiers``, ``favourable_tiers`` and ``sanctions``.

    Raises :class:`~audit.errors.ScorerContractError` naming the scorer and the
    first problem: a name that is not a non-empty string; tiers that are not a
    non-empty sequence of distinct non-empty strings; favourable tiers that are
    not a set of declared tiers; sanctions that are not a mapping of names to
    domains of :data:`audit.vocab.DOMAINS`.
    """
    try:
        name = scorer.name
    except Exception as exc:  # noqa: BLE001 - a plugin's attribute may raise anything
        raise ScorerContractError(f"{type(scorer).__name__} object: reading .name raised {type(exc).__name__}: {exc}") from None
    if not isinstance(name, str) or not name.strip():
        raise ScorerContractError(f"{type(scorer).__name__} object: name = {name!r}; give the scorer a non-empty string name")
    where = f"scorer {name!r}"
    try:
        tiers, favourable, sanctions = scorer.tiers, scorer.favourable_tiers, scorer.sanctions
    except Exception as exc:  # noqa: BLE001
        raise ScorerContractError(f"{where}: reading its declarations raised {type(exc).__name__}: {exc}") from None
    if isinstance(tiers, (str, bytes)) or not isinstance(tiers, (tuple, list)) or not tiers:
        raise ScorerContractError(f"{where}: tiers = {tiers!r}; declare a tuple of tier labels, best first")
    if not all(isinstance(t, str) and t for t in tiers) or len(set(tiers)) != len(tiers):
        raise ScorerContractError(f"{where}: tiers = {tuple(tiers)!r}; tier labels must be distinct non-empty strings")
    if isinstance(favourable, (str, bytes)) or not isinstance(favourable, (set, frozenset, tuple, list)):
        raise ScorerContractError(f"{where}: favourable_tiers = {favourable!r}; declare a frozenset of tier labels")
    unknown = [t for t in favourable if t not in tiers]
    if unknown:
        raise ScorerContractError(f"{where}: favourable tier(s) {unknown!r} are not among its tiers {list(tiers)}")
    if not isinstance(sanctions, Mapping):
        raise ScorerContractError(f"{where}: sanctions = {sanctions!r}; declare a mapping of sanction name to domain")
    for s, domain in sanctions.items():
        if not isinstance(s, str) or not s or s in _RESERVED_COLUMNS:
            raise ScorerContractError(
                f"{where}: sanction name {s!r} must be a non-empty string other than {', '.join(_RESERVED_COLUMNS)}"
            )
        if not isinstance(domain, str) or domain not in DOMAINS:
            raise ScorerContractError(f"{where}: sanction {s!r} declares domain {domain!r}, not one of {list(DOMAINS)}")


def validate_score_frame(scorer: Any, frame: Any, view: PopulationView) -> pd.DataFrame:
    """Check a scorer's output against the contract; return it with canonical dtypes.

    Raises :class:`~audit.errors.ScorerContractError` naming the scorer and the
    first problem found. A frame already in canonical form (the reference
    scorers' frames) is returned as it is, with a default row index, after
    checking its scores and tier codes (:func:`_validated_as_is`); any other
    is checked and rebuilt column by column.
    """
    validate_declarations(scorer)
    name = scorer.name
    n = len(view.people)
    if not isinstance(frame, pd.DataFrame):
        raise ScorerContractError(f"scorer {name!r}: score() returned {type(frame).__name__}, expected a pandas DataFrame")
    tiers = tuple(scorer.tiers)
    declared = dict(scorer.sanctions)
    as_is = _validated_as_is(frame, tiers, declared, view.people.index)
    if as_is is not None:
        return as_is
    if not frame.columns.is_unique:
        dup = list(dict.fromkeys(frame.columns[frame.columns.duplicated()]))
        raise ScorerContractError(f"scorer {name!r}: output has duplicate column(s) {dup}; give each column once")
    if len(frame) != n:
        raise ScorerContractError(
            f"scorer {name!r}: score() returned {len(frame)} rows for {n} people; return one row per view.people row"
        )
    frame = _aligned(name, frame, view.people)
    for col in ("score", "tier"):
        if col not in frame.columns:
            raise ScorerContractError(f"scorer {name!r}: output has no {col!r} column; columns are {list(frame.columns)}")
    try:
        score = frame["score"].to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise ScorerContractError(f"scorer {name!r}: column 'score' is not numeric") from None
    if score.size and not _in_range(score):
        _refuse_scores(name, score, view)
    if isinstance(frame["tier"].dtype, pd.CategoricalDtype):  # the usual case: map the few categories, not every row
        cat = frame["tier"].cat
        if tuple(cat.categories) == tiers:  # categories are the tiers in order: the codes are the tier codes
            codes = category_codes(frame["tier"])  # -1 (missing) stays -1
        else:
            lookup = np.append(pd.Index(list(tiers), dtype=object).get_indexer(cat.categories.astype(object)), -1)
            codes = lookup[category_codes(frame["tier"])]  # code -1 (missing) picks the appended -1
    else:
        values = frame["tier"].astype(object).to_numpy()
        try:
            codes = pd.Index(list(tiers), dtype=object).get_indexer(values)
        except TypeError:  # unhashable labels (lists, dicts): none of them is a declared tier
            codes = np.array([tiers.index(v) if isinstance(v, str) and v in tiers else -1 for v in values], dtype=np.intp)
    undeclared = codes < 0
    if undeclared.any():
        i = int(np.flatnonzero(undeclared)[0])
        raise ScorerContractError(
            f"scorer {name!r}: tier {frame['tier'].iloc[i]!r} at row {i} is not one of the declared tiers {list(tiers)}"
        )
    for s, domain in declared.items():
        if domain not in DOMAINS:
            raise ScorerContractError(f"scorer {name!r}: sanction {s!r} declares domain {domain!r}, not one of {list(DOMAINS)}")
        if s not in frame.columns:
            raise ScorerContractError(f"scorer {name!r}: declared sanction {s!r} has no column in the output")
    extra = [c for c in frame.columns if c not in ("score", "tier", "reasons", *declared)]
    if extra:
        raise ScorerContractError(
            f"scorer {name!r}: output has undeclared column(s) {extra}; declare sanctions in `sanctions` or drop them"
        )
    tier = pd.Categorical.from_codes(codes, dtype=tier_dtype(tiers), validate=False)  # codes checked above
    out = {"score": score, "tier": tier}
    for s in declared:
        col = frame[s]
        if col.dtype != bool:
            try:
                ok = not col.isna().any() and set(pd.unique(col.astype(object))) <= {True, False, 0, 1}
            except TypeError:  # unhashable values
                ok = False
            if not ok:
                raise ScorerContractError(f"scorer {name!r}: sanction column {s!r} must be boolean")
        out[s] = col.to_numpy(dtype=bool)
    if "reasons" in frame.columns:
        out["reasons"] = frame["reasons"].to_numpy()
    return pd.DataFrame(out, copy=False)  # copy-on-write: sharing the scorer's arrays is safe


def _in_range(score: np.ndarray) -> bool:
    """Whether every score is a number of magnitude below :data:`MAX_ABS_SCORE` (one minimum, one maximum; NaN fails both)."""
    return bool(-MAX_ABS_SCORE < score.min() and score.max() < MAX_ABS_SCORE)


#: dtype of a column index pandas builds from names (``str`` from pandas 3, ``object`` before).
_LABELS_DTYPE = pd.Index(["score", "tier"]).dtype
_FLOAT64 = np.dtype(np.float64)
_BOOL = np.dtype(bool)
_OBJECT = np.dtype(object)


def _validated_as_is(
    frame: pd.DataFrame, tiers: tuple[str, ...], sanctions: Mapping[str, str], index: pd.Index,
) -> pd.DataFrame | None:
    """``frame`` itself with a fresh default row index when it is already in validated form, else None.

    Validated form is what :func:`validate_score_frame` would rebuild column by
    column, so the rebuilt frame would equal this one: columns ``score``,
    ``tier``, the declared sanctions in their order and optionally
    ``reasons``, labelled as pandas labels a new frame's columns; rows in
    ``view.people``'s order (its index, or a default index); float64 scores,
    all finite and below :data:`MAX_ABS_SCORE` in magnitude; a ``tier``
    column of the dtype :func:`tier_dtype` gives (that very object) without a
    missing code; numpy bool sanctions; reasons an object column whose first
    value is a tuple (pandas then keeps the column as it is when it builds a
    frame of it). Checking this reads three columns, where the column by
    column path reads each column several times and builds a new frame
    (about 1.5 ms a call whatever the number of people, pandas 3); any other
    frame, faulty ones included, goes that way and gets its message there.
    """
    n = len(index)
    if n == 0 or len(frame) != n or frame.attrs or not frame.flags.allows_duplicate_labels:
        return None
    columns = frame.columns
    expected = ["score", "tier", *sanctions]
    names = columns.tolist()
    if names != expected and names != [*expected, "reasons"]:
        return None
    if columns.dtype != _LABELS_DTYPE or columns.name is not None or not _in_order(frame.index, index):
        return None
    dtypes = frame.dtypes.tolist()
    if dtypes[0] != _FLOAT64 or dtypes[1] is not tier_dtype(tiers):
        return None
    if any(d != _BOOL for d in dtypes[2:len(expected)]):
        return None
    if len(names) > len(expected):
        reasons = frame["reasons"]
        if dtypes[-1] != _OBJECT or type(reasons.iloc[0]) is not tuple:
            return None
    if not _in_range(frame["score"].to_numpy()) or category_codes(frame["tier"]).min() < 0:
        return None
    out = frame.copy(deep=False)  # the same columns (copy-on-write), an index of its own
    out.index = pd.RangeIndex(n)
    return out


def _in_order(got: pd.Index, index: pd.Index) -> bool:
    """Whether rows labelled ``got`` are those of ``index`` by position (as :func:`_aligned` takes them without reordering)."""
    return got.equals(index) or (isinstance(got, pd.RangeIndex) and got.start == 0 and got.step == 1)


def _refuse_scores(name: str, score: np.ndarray, view: PopulationView) -> None:
    """Raise :class:`~audit.errors.ScorerContractError` for the first kind of bad score: not finite, or too large.

    Called when one min/max pass over the scores found a NaN, an infinity or a
    magnitude of :data:`MAX_ABS_SCORE` or more; the full checks name the rows.
    """
    bad = ~np.isfinite(score)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ScorerContractError(
            f"scorer {name!r}: {int(bad.sum())} scores are NaN or infinite (first at row {i}, "
            f"person_id {view.people['person_id'].iloc[i]}); every score must be finite"
        )
    huge = np.abs(score) >= MAX_ABS_SCORE
    if huge.any():
        i = int(np.flatnonzero(huge)[0])
        raise ScorerContractError(
            f"scorer {name!r}: {int(huge.sum())} scores are 2**31 = 2,147,483,648 or more in magnitude (first at row "
            f"{i}, person_id {view.people['person_id'].iloc[i]}: {float(score[i])!r}); group sums are kept exact only below "
            "that: rescale the scores (e.g. to thousands)"
        )


def _aligned(name: str, frame: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """``frame`` in the order of ``view.people``.

    Rows are matched by position when the frame's index is the input's or the
    default ``RangeIndex`` a new frame gets; by label when it is any other
    arrangement of the input's index labels (a scorer that sorted or shuffled
    its rows and kept their index), or of its person ids (a scorer that indexed
    its result by ``person_id``). Any other index is refused: which row belongs
    to whom cannot be told.
    """
    got, index = frame.index, people.index
    if _in_order(got, index):
        return frame
    if got.is_unique:
        for labels in (index, pd.Index(people["person_id"].to_numpy())):
            if labels.is_unique:
                pos = got.get_indexer(labels)
                if (pos >= 0).all():
                    return frame.iloc[pos]
    raise ScorerContractError(
        f"scorer {name!r}: its output's index is neither view.people's index nor a rearrangement of it or of the "
        f"person ids (first labels {list(got[:3])!r}, expected {list(index[:3])!r}); return rows in view.people's "
        "order, or keep view.people's index (or person_id) on them"
    )
