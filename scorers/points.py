"""Points schemes as executable specifications (Suining, Rongcheng).

A points scheme is a declarative record, :class:`PointsScheme`: everyone
starts at a base, each recorded event deducts points (while it has not
expired) or earns an award (within a window, capped per event and in
total), and the points fall in bands, best first; the lowest bands carry
the sanctions. :meth:`PointsScheme.score_person` is the formula in plain
Python, one person at a time; :func:`score_points` compiles the same record
to the fast kernel (:func:`scorers._kernels.points_kernel`) through the
named fields of :class:`PointsRules`. ``tests/scorers/test_specs.py`` checks
that both give the same score, band and reasons on random populations.

The numbers of each scheme, with their sources, are in
:mod:`scorers.suining` and :mod:`scorers.rongcheng`; the public record they
cite is listed in ``docs/sources.md``.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, ClassVar, NamedTuple

import numpy as np
import pandas as pd

from audit.errors import InvalidArgument
from audit.lazy import lazy_module
from audit.population.model import PopulationView
from audit.vocab import EVENT_KINDS
from scorers.base import ScorerBase
from scorers.protocol import MAX_REASONS

if TYPE_CHECKING:
    import scorers._kernels as kernels
else:  # compiled: imported where first called, so the command, which scores nobody itself, never loads numba
    kernels = lazy_module("scorers._kernels")

__all__ = ["Event", "PersonScore", "PointsRules", "PointsScheme", "PointsScorer", "Reward", "score_points"]

#: A kind's deductions count as a reason when they cost more than this.
MIN_COST = 1e-9
#: Largest finite float64: an infinite amount is read as this (``np.nan_to_num``).
_FLOAT_MAX = float(np.finfo(np.float64).max)


class Event(NamedTuple):
    """One recorded event of a person, as :meth:`PointsScheme.score_person` reads it."""

    month: int
    """Month the event was recorded."""
    kind: str
    """Event kind, one of :data:`audit.vocab.EVENT_KINDS`."""
    amount: float = 0.0
    """Hours or yuan (0 when the kind has none)."""


class PersonScore(NamedTuple):
    """What a scheme gives one person."""

    score: float
    """Points (or score) at ``as_of``."""
    tier: str
    """Band (tier label) the score falls in."""
    reasons: tuple[str, ...]
    """The costliest reasons, most points first."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Reward:
    """An award for a good deed."""

    points: float
    """Points per whole unit (``unit`` set) or per event (``unit`` None)."""
    unit: float | None
    """Units per 1 of the event's ``amount`` (1.0: per hour; 0.01: per 100 yuan); None for a fixed award."""
    cap: float
    """Most points one event earns."""

    def award(self, amount: float) -> float:
        """Points one event of this ``amount`` earns (a negative or missing amount counts as 0)."""
        if self.unit is None:
            units = 1.0
        else:
            a = 0.0 if math.isnan(amount) or amount < 0.0 else min(amount, _FLOAT_MAX)
            units = math.floor(a * self.unit + 1e-9)  # whole units; 1e-9 absorbs 0.29 * 100 = 28.999...
        return min(self.points * units, self.cap)


@dataclass(frozen=True, slots=True, kw_only=True)
class PointsScheme:
    """A points scheme: base, deductions, expiry, rewards, bands and sanctions.

    The score at ``as_of`` of a person with recorded events ``e`` (each of age
    ``as_of - month``) is::

        base + min(sum(award(e) for awards younger than reward_months), reward_cap)
             - sum(deductions[e.kind] for e younger than expiry_months[e.kind])

    and the band is the first of ``tiers`` whose lower bound the score reaches
    (the last tier has none). Reasons are the kinds whose deductions cost the
    most, most points first, ties in :data:`audit.vocab.EVENT_KINDS` order.
    """

    base: float
    """Points everyone starts with."""
    deductions: Mapping[str, float]
    """Points deducted per recorded event of each kind."""
    expiry_months: Mapping[str, int] | None = None
    """Months a deduction of each kind counts (while ``as_of - month < N``; a kind not named: never);
    None: deductions count for ever."""
    rewards: Mapping[str, Reward] = field(default_factory=dict)
    """Award per recorded event of each rewarded kind."""
    reward_months: int = 0
    """Months an award counts (while ``as_of - month < N``)."""
    reward_cap: float = 0.0
    """Most points awards can add at one time."""
    tiers: tuple[str, ...]
    """Band labels, best first."""
    lower_bounds: tuple[float, ...]
    """Lowest points of each band but the last, best first (strictly decreasing)."""
    sanctioned_from: str
    """The first band (and every band below it) that carries the sanctions."""
    sanctions: Mapping[str, str]
    """Sanction -> the domain of life it restricts."""

    def __post_init__(self) -> None:
        for name in ("deductions", "expiry_months", "rewards", "sanctions"):  # read-only copies: the record is a value
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, MappingProxyType(dict(value)))
        if len(self.lower_bounds) != len(self.tiers) - 1:
            raise InvalidArgument(
                f"lower_bounds has {len(self.lower_bounds)} entries for {len(self.tiers)} tiers; "
                f"give one per tier but the last"
            )
        if list(self.lower_bounds) != sorted(set(self.lower_bounds), reverse=True):
            raise InvalidArgument(f"lower_bounds = {self.lower_bounds} must be strictly decreasing (best band first)")
        if self.sanctioned_from not in self.tiers:
            raise InvalidArgument(f"sanctioned_from = {self.sanctioned_from!r} is not one of tiers {self.tiers}; name the first sanctioned tier")
        named = {"deductions": self.deductions, "rewards": self.rewards, "expiry_months": self.expiry_months or {}}
        for what, kinds in named.items():
            unknown = sorted(set(kinds) - set(EVENT_KINDS))
            if unknown:
                raise InvalidArgument(f"{what} names {unknown}, not event kinds; use kinds of audit.vocab.EVENT_KINDS")

    # ------------------------------------------------------------------ the formula, in plain Python

    def deduction(self, kind: str, age: int) -> float:
        """Points an event of ``kind`` recorded ``age`` months ago deducts now."""
        points = self.deductions.get(kind, 0.0)
        if self.expiry_months is None:
            return points
        return points * (1.0 if age < self.expiry_months.get(kind, 0) else 0.0)

    def award(self, kind: str, amount: float, age: int) -> float:
        """Points an event of ``kind`` and ``amount`` recorded ``age`` months ago adds now (before the total cap)."""
        reward = self.rewards.get(kind)
        if reward is None:
            return 0.0
        return reward.award(amount) * (1.0 if age < self.reward_months else 0.0)

    @property
    def lookback_months(self) -> int | None:
        """Months of events the score at ``as_of`` reads (those with ``as_of - month < N``); None: all of them.

        The longest deduction expiry or award window; deductions that never
        expire (``expiry_months`` None) make the whole record count.
        """
        if self.expiry_months is None and self.deductions:
            return None
        periods = [*(self.expiry_months or {}).values(), self.reward_months if self.rewards else 0]
        return max(1, *periods)

    def tier_of(self, score: float) -> str:
        """The band of ``score``: the first whose lower bound it reaches, else the last."""
        for tier, lowest in zip(self.tiers, self.lower_bounds):
            if score >= lowest:
                return tier
        return self.tiers[-1]

    def is_sanctioned(self, tier: str) -> bool:
        """Whether band ``tier`` carries the sanctions."""
        return self.tiers.index(tier) >= self.tiers.index(self.sanctioned_from)

    def score_person(self, events: Iterable[Event], *, as_of: int) -> PersonScore:
        """One person's score, band and reasons at ``as_of`` from their recorded ``events``.

        Events after ``as_of`` and of kinds outside the vocabulary are not counted.
        """
        lost = dict.fromkeys(EVENT_KINDS, 0.0)
        gained = 0.0
        for e in events:
            if e.month > as_of or e.kind not in lost:
                continue
            age = as_of - e.month
            lost[e.kind] += self.deduction(e.kind, age)
            gained += self.award(e.kind, e.amount, age)
        total_lost = sum(lost.values())
        score = (self.base + min(gained, self.reward_cap)) - total_lost if self.rewards else self.base - total_lost
        costly = sorted((k for k in EVENT_KINDS if lost[k] > MIN_COST), key=lambda k: (-lost[k], EVENT_KINDS.index(k)))
        return PersonScore(score=score, tier=self.tier_of(score), reasons=tuple(costly[:MAX_REASONS]))

    # ------------------------------------------------------------------ compiled

    def compile(self) -> PointsRules:
        """The scheme as the per-kind tables the points kernel reads."""
        return PointsRules(
            lost_per_kind=kernels.kind_weights(dict(self.deductions)),
            expiry_per_kind=kernels.kind_weights(dict(self.expiry_months or {})),
            use_expiry=self.expiry_months is not None,
            reward=_reward_table(self.rewards),
            reward_months=self.reward_months,
            reward_cap=self.reward_cap,
            base=self.base,
            bounds=np.asarray(self.lower_bounds, dtype=np.float64)[::-1].copy(),  # increasing
            k=MAX_REASONS,
            min_cost=MIN_COST,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PointsRules:
    """A :class:`PointsScheme` compiled: the named rule arguments of :func:`scorers._kernels.points_kernel`."""

    lost_per_kind: np.ndarray
    """Points deducted per event, per kind code."""
    expiry_per_kind: np.ndarray
    """Months a deduction counts, per kind code (read when ``use_expiry``)."""
    use_expiry: bool
    """Whether deductions expire."""
    reward: np.ndarray
    """``(4, kinds)``: points per unit, unit size, 1 for a fixed award, cap per event; ``(0, kinds)``: no rewards."""
    reward_months: int
    """Months an award counts."""
    reward_cap: float
    """Most points awards add at one time."""
    base: float
    """Starting points."""
    bounds: np.ndarray
    """Lower bounds of the bands, increasing."""
    k: int
    """Most reasons per person."""
    min_cost: float
    """A kind is a reason when it costs more than this."""

    def arguments(self) -> dict[str, object]:
        """The fields as keyword arguments of the kernel."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _reward_table(rewards: Mapping[str, Reward]) -> np.ndarray:
    """The ``(4, kinds)`` reward table of :class:`PointsRules` (``(0, kinds)`` without rewards)."""
    if not rewards:
        return np.zeros((0, len(EVENT_KINDS)))
    return np.stack(
        [
            kernels.kind_weights({k: r.points for k, r in rewards.items()}),
            kernels.kind_weights({k: (r.unit if r.unit is not None else 0.0) for k, r in rewards.items()}),
            kernels.kind_weights({k: (1.0 if r.unit is None else 0.0) for k, r in rewards.items()}),
            kernels.kind_weights({k: r.cap for k, r in rewards.items()}),
        ]
    )


def score_points(scheme: PointsScheme, view: PopulationView, *, as_of: int) -> pd.DataFrame:
    """Score every person in ``view.people`` under ``scheme`` at ``as_of``, with the compiled kernel."""
    rules = scheme.compile()
    ev = kernels.person_events(view, as_of, amount=bool(scheme.rewards))
    score, tier, combo, keys, count = ev.run(
        kernels.points_kernel,
        amount=ev.amount,
        as_of=kernels.month_bound(as_of),
        lut=kernels.reason_lut(len(EVENT_KINDS), MAX_REASONS),
        **rules.arguments(),
    )
    return kernels.banded_frame(
        view, score=score, tier=tier, tiers=scheme.tiers, sanctions=scheme.sanctions,
        sanctioned_from=scheme.tiers.index(scheme.sanctioned_from),
        combo=combo, keys=keys[:count], labels=EVENT_KINDS, k=MAX_REASONS,
    )


class PointsScorer(ScorerBase):
    """A scorer that applies the :class:`PointsScheme` its parameters select.

    Subclasses set :attr:`scheme_of`, the function building the scheme from
    the scorer's parameters (``scheme_of(**params)``); parameters it does not
    name (those a further subclass adds for its own use) are not passed on.
    """

    __slots__ = ()

    scheme_of: ClassVar[Callable[..., PointsScheme]]

    @property
    def scheme(self) -> PointsScheme:
        """The scheme this scorer applies, with its parameters."""
        build = type(self).scheme_of
        names = _parameter_names(build)
        return build(**{key: value for key, value in self._params.items() if key in names})

    @property
    def lookback_months(self) -> int | None:
        """Months of events a score reads (:attr:`PointsScheme.lookback_months`); None: the whole record."""
        return self.scheme.lookback_months

    def score(self, view: PopulationView, *, as_of: int) -> pd.DataFrame:
        """Score every person in ``view.people`` from events up to ``as_of``."""
        return score_points(self.scheme, view, as_of=as_of)


@functools.cache
def _parameter_names(build: Callable[..., PointsScheme]) -> frozenset[str]:
    """Names of the parameters ``build`` takes."""
    return frozenset(inspect.signature(build).parameters)
