"""Mergeable counts of a simulation: per group sums that add exactly across chunks.

A chunk's simulation ends with per-person outcomes (:class:`PersonOutcomes`);
:func:`tally` sums them per group of each audited attribute (income quintile,
education, and sanctioned-at-the-end for isolation). Sums of integers and of
per-person gains add across chunks, so the merged tally — and everything
:mod:`audit.dynamics.measures` derives from it — does not depend on how people
were chunked. A chunk is tallied one generation block at a time
(:func:`tallies_by_block`) and the blocks' tallies are added in block order
(:func:`merge_tallies`), so even the sums of non-integer gains, whose rounding
depends on the order of addition, are the same to the last bit whatever the
chunk size or the number of worker processes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["GROUPINGS", "PersonOutcomes", "Tally", "merge_tallies", "tallies_by_block", "tally"]

#: Attribute -> its group labels (the dynamics measures are by income quintile and education).
GROUPINGS: dict[str, tuple[str, ...]] = {
    "income_quintile": ("1", "2", "3", "4", "5"),
    "education": ("primary_or_less", "junior_secondary", "senior_secondary", "tertiary"),
    "sanctioned_at_end": ("no", "yes"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonOutcomes:
    """What happened to each person of a chunk (arrays of one row per person)."""

    groups: Mapping[str, np.ndarray]
    """Attribute -> group code per person (positions in :data:`GROUPINGS`)."""
    favourable_by_year: np.ndarray
    """``(years + 1, n)`` favourable tier at the start and at the end of each year."""
    sanctioned_by_year: np.ndarray
    """``(years + 1, n)`` any sanction in force at the same months."""
    changed_first_year: np.ndarray
    """Changed at least one behaviour in the first twelve months (adapted, self-censored or unfriended)."""
    adapter: np.ndarray
    posts_base: np.ndarray
    """Critical posts the person would have made in the simulated months."""
    posts_dropped: np.ndarray
    """Of those, posts not made (self-censorship)."""
    offences_avoided: np.ndarray
    acts_earned: np.ndarray
    acts_bought: np.ndarray
    ties_lost: np.ndarray
    """Friends who dropped the person after the person's score fell sharply."""
    gain_bought: np.ndarray
    """Final score minus the score without the bought acts."""
    gain_earned: np.ndarray
    """Score without the bought acts minus the score without any adaptation."""
    feedback: np.ndarray
    """Had loan arrears added by lost income."""
    caught: np.ndarray
    """Had such arrears and is under a sanction with economic effect at the end (the loop)."""
    economic_ever: np.ndarray
    """Was under a sanction with economic effect at some month."""


#: Per-person fields summed per group (and, with ``_sq``, their squares).
_SUMS = ("changed_first_year", "adapter", "posts_base", "posts_dropped", "offences_avoided", "acts_earned",
         "acts_bought", "ties_lost", "feedback", "caught", "economic_ever")


@dataclass(frozen=True, slots=True)
class Tally:
    """Attribute -> name -> per-group sums (``(groups,)`` or ``(years + 1, groups)`` or ``(months + 1, groups)``)."""

    sums: dict[str, dict[str, np.ndarray]]


def _by(codes: np.ndarray, values: np.ndarray, groups: int) -> np.ndarray:
    return np.bincount(codes, weights=np.asarray(values, dtype=np.float64), minlength=groups)


def tally(out: PersonOutcomes, monthly_favourable: Mapping[str, np.ndarray]) -> Tally:
    """Per-group sums of a chunk's outcomes; ``monthly_favourable`` is attribute -> ``(months + 1, groups)`` counts."""
    sums: dict[str, dict[str, np.ndarray]] = {}
    fav0 = out.favourable_by_year[0]
    for attr, labels in GROUPINGS.items():
        codes, g = out.groups[attr], len(labels)
        s = {"n": np.bincount(codes, minlength=g).astype(np.float64)}
        s["favourable"] = np.array([_by(codes, f, g) for f in out.favourable_by_year])
        s["sanctioned"] = np.array([_by(codes, f, g) for f in out.sanctioned_by_year])
        s["up"] = np.array([_by(codes, f & ~fav0, g) for f in out.favourable_by_year])
        s["down"] = np.array([_by(codes, ~f & fav0, g) for f in out.favourable_by_year])
        for name in _SUMS:
            s[name] = _by(codes, getattr(out, name), g)
        s["ties_lost_sq"] = _by(codes, out.ties_lost.astype(np.float64) ** 2, g)
        b, e = out.gain_bought, out.gain_earned
        for name, v in (("gain_b", b), ("gain_e", e), ("gain_bb", b * b), ("gain_ee", e * e), ("gain_be", b * e)):
            s[name] = _by(codes, v, g)
        if attr in monthly_favourable:
            s["monthly_favourable"] = np.asarray(monthly_favourable[attr], dtype=np.float64)
        sums[attr] = s
    return Tally(sums)


def tallies_by_block(out: PersonOutcomes, monthly_favourable: Mapping[str, np.ndarray],
                     bounds: list[tuple[int, int]]) -> list[Tally]:
    """:func:`tally` of each run of people ``bounds[i] = (start, end)`` (a chunk's generation blocks), in order.

    ``monthly_favourable`` is attribute -> ``(months + 1, blocks, groups)`` counts, one block per bound.
    """
    out_tallies = []
    for i, (lo, hi) in enumerate(bounds):
        fields: dict[str, Any] = {"groups": {a: c[lo:hi] for a, c in out.groups.items()}}
        for name in PersonOutcomes.__dataclass_fields__:
            value = getattr(out, name)
            if name != "groups":
                fields[name] = value[:, lo:hi] if value.ndim == 2 else value[lo:hi]
        part = PersonOutcomes(**fields)
        out_tallies.append(tally(part, {a: m[:, i, :] for a, m in monthly_favourable.items()}))
    return out_tallies


def merge_tallies(tallies: list[Tally]) -> Tally:
    """The sum of tallies, added in the order given (blocks in order: the same sum whatever the chunking)."""
    first = tallies[0]
    merged = {a: {k: v.copy() for k, v in s.items()} for a, s in first.sums.items()}
    for t in tallies[1:]:
        for a, s in t.sums.items():
            for k, v in s.items():
                merged[a][k] += v
    return Tally(merged)
