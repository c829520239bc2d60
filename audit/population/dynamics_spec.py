"""The ``[dynamics]`` table of a population spec: how people respond to being scored.

Read by :func:`audit.population.spec.parse_spec` into
:attr:`~audit.population.spec.PopulationSpec.dynamics` and used by the
simulation in :mod:`audit.dynamics`. The figures people respond with come
from one survey of 2,209 Chinese internet users (about 950 of them inside a
local government-run scheme) analysed in G. Kostka, "China's social credit
systems and public opinion: Explaining high levels of approval", New Media &
Society 21(7), 2019, and G. Kostka and L. Antoine, "Fostering model
citizenship: Behavioral responses to China's emerging social credit
systems", Policy & Internet 12(3):256-289, 2020 (doi:10.1002/poi3.213).
Everything else in the table is a modelling assumption and is marked so in the
shipped specs.

Every rate is a probability or a share and must lie in [0, 1]; the
multipliers lie in [0, :data:`MAX_MULTIPLIER`].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audit.errors import InvalidSpec
from audit.population.spec_reader import Reader
from audit.vocab import EDUCATION_LEVELS

__all__ = ["DynamicsSpec", "MAX_MULTIPLIER", "parse_dynamics"]

#: Largest multiplier of a propensity per education level or income quintile (assumption: a bound
#: far above any modelled difference, so a typo such as 80 for 0.8 is refused).
MAX_MULTIPLIER = 10.0


@dataclass(frozen=True, slots=True, kw_only=True)
class DynamicsSpec:
    """Monthly response rates of people who see their score (all shares in [0, 1])."""

    adapt_share: float
    """Probability that the reference person (income quintile 3, education between junior and senior
    secondary) adapts at all: avoids recorded offences or performs acts the scheme rewards."""
    adapt_breadth: float
    """Probability that an adapting reference person adapts each kind of activity (breadth of adaptation)."""
    education_multiplier: tuple[float, ...]
    """Multiplier on ``adapt_share`` and ``adapt_breadth`` per education level, lowest first."""
    income_multiplier: tuple[float, ...]
    """Multiplier on ``adapt_share`` and ``adapt_breadth`` per income quintile, poorest first."""
    offence_reduction: float
    """Share of an adapted kind of minor offence a person no longer commits (or gets recorded)."""
    act_probability: float
    """Monthly probability that a person performs one extra act of an adapted kind the scheme rewards."""
    self_censor_share: float
    """Share of people who change how they post once the scheme penalises critical posts."""
    post_reduction: float
    """Share of a self-censoring person's critical posts that are no longer posted."""
    unfriend_share: float
    """Share of people who drop a friend whose score fell sharply (tier worse, or newly sanctioned)."""
    income_loss: float
    """Share of income lost in each month under a sanction with economic effect (finance, jobs, commerce)."""
    income_floor: float
    """Lowest share of a person's starting income that repeated losses leave."""
    arrears_probability: float
    """Monthly probability of loan arrears for a person who has lost all the income they can lose;
    proportional to the share lost below that."""
    changed_range: tuple[float, float]
    """Range of the share of people who change at least one behaviour within a year of the scheme (calibration)."""


def parse_dynamics(table: Any, *, file: str) -> DynamicsSpec:
    """Validate a ``[dynamics]`` table; :class:`~audit.errors.InvalidSpec` names the key and the fix."""
    r = Reader(table, "dynamics", file)

    def rate(key: str) -> float:
        return r.number(key, lo=0.0, hi=1.0)

    spec = DynamicsSpec(
        adapt_share=rate("adapt_share"),
        adapt_breadth=rate("adapt_breadth"),
        education_multiplier=r.numbers("education_multiplier", len(EDUCATION_LEVELS), lo=0.0, hi=MAX_MULTIPLIER),
        income_multiplier=r.numbers("income_multiplier", 5, lo=0.0, hi=MAX_MULTIPLIER),
        offence_reduction=rate("offence_reduction"),
        act_probability=rate("act_probability"),
        self_censor_share=rate("self_censor_share"),
        post_reduction=rate("post_reduction"),
        unfriend_share=rate("unfriend_share"),
        income_loss=rate("income_loss"),
        income_floor=rate("income_floor"),
        arrears_probability=rate("arrears_probability"),
        changed_range=_range(r, "changed_range"),
    )
    r.done()
    return spec


def _range(r: Reader, key: str) -> tuple[float, float]:
    lo, hi = r.numbers(key, 2, lo=0.0, hi=1.0)
    if hi < lo:
        raise InvalidSpec(f"{r.file}: dynamics.{key} = [{lo}, {hi}] is not a range; give [low, high] with low <= high")
    return (lo, hi)
