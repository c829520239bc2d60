"""What ``by=`` asks for: attributes, numeric bands and intersections, read from terms such as ``race×sex``.

One term per ``--by``:

- ``race`` -- a column, one group per value (plus ``unknown`` for missing values);
- ``age:bands=25,45`` -- a numeric column cut at the edges into ``under 25``,
  ``25 to under 45`` and ``45 and over``;
- ``race×sex`` (or ``race*sex``, ``race,sex``) -- the intersection of two or
  more attributes, each of which is also audited alone (NYC LL144 asks for
  sex, race/ethnicity and their intersection).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from audit.errors import InvalidArgument

__all__ = ["ByTerms", "band_labels", "parse_by"]

_SEPARATORS = ("×", "*", ",")


@dataclass(frozen=True, slots=True, kw_only=True)
class ByTerms:
    """The attributes, bands and intersections of a run's ``by=`` terms."""

    attributes: tuple[str, ...]
    """Every attribute named, alone or in an intersection, in order of first mention."""
    bands: tuple[tuple[str, tuple[float, ...]], ...]
    """``(attribute, cut points)`` for numeric attributes cut into bands."""
    intersections: tuple[tuple[str, ...], ...]
    """Attributes crossed with each other, as asked."""

    def cuts(self, name: str) -> tuple[float, ...] | None:
        """The cut points of ``name``, or None when it is not banded."""
        return dict(self.bands).get(name)


def _bands(term: str, name: str, option: str) -> tuple[float, ...]:
    key, _, value = option.partition("=")
    if key.strip() != "bands" or not value.strip():
        raise InvalidArgument(
            f"by={term!r}: unknown option {option!r}; the one option is bands, e.g. by='{name}:bands=25,45'"
        )
    try:
        cuts = tuple(float(v) for v in value.split(","))
    except ValueError:
        raise InvalidArgument(f"by={term!r}: the bands must be numbers separated by commas, e.g. '{name}:bands=25,45'") from None
    if not all(math.isfinite(c) for c in cuts) or any(b <= a for a, b in zip(cuts, cuts[1:])):
        raise InvalidArgument(f"by={term!r}: the bands must be finite numbers in increasing order, e.g. '{name}:bands=25,45'")
    return cuts


def parse_by(by: Sequence[str]) -> ByTerms:
    """Read ``by=`` terms (see the module docstring); raise :class:`~audit.errors.InvalidArgument` naming a bad one."""
    if isinstance(by, str):
        by = (by,)
    attributes: list[str] = []
    bands: dict[str, tuple[float, ...]] = {}
    crossed: list[tuple[str, ...]] = []
    for term in by:
        if not isinstance(term, str) or not term.strip():
            raise InvalidArgument(f"by={term!r}: give the name of a column, e.g. 'race', 'race×sex' or 'age:bands=25,45'")
        parts = [term]
        for sep in _SEPARATORS:
            if sep == "," and ":" in term:
                continue  # the commas are a band's cut points
            parts = [p for part in parts for p in part.split(sep)]
        names = []
        for part in parts:
            name, _, option = part.strip().partition(":")
            name = name.strip()
            if not name:
                raise InvalidArgument(f"by={term!r}: an empty attribute name; write e.g. 'race×sex'")
            if option:
                cuts = _bands(term, name, option)
                if bands.get(name, cuts) != cuts:
                    raise InvalidArgument(f"by={term!r}: {name!r} is banded twice with different cut points; band it once")
                bands[name] = cuts
            names.append(name)
            if name not in attributes:
                attributes.append(name)
        if len(set(names)) != len(names):
            raise InvalidArgument(f"by={term!r}: an attribute is crossed with itself; name each attribute once")
        if len(names) > 1 and tuple(names) not in crossed:
            crossed.append(tuple(names))
    return ByTerms(attributes=tuple(attributes), bands=tuple(bands.items()), intersections=tuple(crossed))


def _number(x: float) -> str:
    return f"{x:g}"


def band_labels(cuts: Sequence[float]) -> tuple[str, ...]:
    """``under 25``, ``25 to under 45``, ``45 and over`` for cut points ``(25, 45)``.

    >>> band_labels((25, 45))
    ('under 25', '25 to under 45', '45 and over')
    """
    out = [f"under {_number(cuts[0])}"]
    out += [f"{_number(a)} to under {_number(b)}" for a, b in zip(cuts, cuts[1:])]
    out.append(f"{_number(cuts[-1])} and over")
    return tuple(out)
