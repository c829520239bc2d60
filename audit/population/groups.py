"""Group cells: the cross of income quintile, education and any extra attributes.

Every audit statistic is kept per *cell* — one combination of the audited
attributes — as a flat integer code, so a chunk's statistics are one
``numpy.bincount`` and merging chunks is addition. Each attribute has a
fixed, public list of categories (from the spec, never learned from the
data a chunk happens to hold) plus one ``unknown`` category, so cells mean the
same thing in every chunk and unknowns are counted rather than dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from audit.errors import InvalidArgument
from audit.output.artefacts import plain_scalar as _plain
from audit.population.columns import unique_ids
from audit.vocab import EDUCATION_LEVELS, INCOME_QUINTILES

__all__ = ["Attribute", "CellLayout", "UNKNOWN", "layout_for"]

#: Label of the extra category that collects missing or unexpected values.
UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class Attribute:
    """One audited attribute and its public categories."""

    name: str
    """Column of ``people`` the attribute is read from."""
    categories: tuple[Any, ...]
    """Known values, in report order; anything else is ``unknown``."""
    bins: tuple[float, ...] | None = None
    """For a numeric column binned into ranges: the edges; categories are then range labels."""

    @property
    def labels(self) -> tuple[Any, ...]:
        """Categories followed by :data:`UNKNOWN`."""
        return (*self.categories, UNKNOWN)

    def encode(self, column: pd.Series) -> np.ndarray:
        """Code per row: position in ``categories``, or ``len(categories)`` when unknown."""
        k = len(self.categories)
        if self.bins is not None:
            values = column.to_numpy(dtype=np.float64, na_value=np.nan)
            code = np.searchsorted(np.asarray(self.bins), values, side="right") - 1
            bad = ~np.isfinite(values) | (code < 0) | (code >= k)
            return np.where(bad, k, code).astype(np.int32)
        if isinstance(column.dtype, pd.CategoricalDtype) and list(column.cat.categories) == list(self.categories):
            codes = column.cat.codes.to_numpy().astype(np.int32)
            return np.where(codes < 0, k, codes)
        fast = _integer_codes(column, self.categories)
        if fast is not None:
            return fast
        codes = pd.Index(list(self.categories), dtype=object).get_indexer(column.astype(object).to_numpy())
        return np.where(codes < 0, k, codes).astype(np.int32)


def _integer_codes(column: pd.Series, categories: tuple[Any, ...]) -> np.ndarray | None:
    """The codes of :meth:`Attribute.encode` for a plain integer column and distinct integer categories.

    Gives the object path's codes (position in ``categories``, ``len(categories)``
    when unknown) without boxing each value: income quintiles are int8, and the
    object path costs several times more per person. ``None`` when the column or
    the categories are not of that kind (nullable, unsigned 64-bit, booleans),
    and the object path decides.
    """
    dtype = column.dtype
    if not isinstance(dtype, np.dtype) or dtype.kind not in "iu" or dtype == np.uint64:
        return None
    if not categories or not all(isinstance(c, (int, np.integer)) and not isinstance(c, bool) for c in categories):
        return None
    info = np.iinfo(np.int64)
    if not all(info.min <= int(c) <= info.max for c in categories):
        return None
    cats = np.array([int(c) for c in categories], dtype=np.int64)
    if unique_ids(cats).size != cats.size:
        return None
    values = column.to_numpy()
    if values.dtype.itemsize == 1:
        # one-byte values (int8 quintiles): code all 256 once, then look each row up
        every = np.arange(256, dtype=np.uint8).view(values.dtype)
        return _codes_of(every, cats)[values.view(np.uint8)]
    return _codes_of(values, cats)


def _codes_of(values: np.ndarray, cats: np.ndarray) -> np.ndarray:
    """Position of each integer value in the distinct ``cats``, ``cats.size`` when absent, as int32."""
    k = cats.size
    info = np.iinfo(np.int64)
    lo = int(cats[0])
    if np.array_equal(cats, np.arange(lo, lo + k, dtype=np.int64)):
        # consecutive categories (quintiles 1..5): the code is the offset from the first
        if info.min + k <= lo <= info.max - k:
            code = values.astype(np.int64) - lo
            return np.where((code < 0) | (code >= k), k, code).astype(np.int32)
    order = np.argsort(cats, kind="stable")
    ordered = cats[order]
    pos = np.minimum(np.searchsorted(ordered, values), k - 1)
    hit = ordered[pos] == values
    return np.where(hit, order[pos], k).astype(np.int32)


@dataclass(frozen=True, slots=True, kw_only=True)
class CellLayout:
    """The audited attributes; a cell is one combination of their labels."""

    attributes: tuple[Attribute, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.attributes)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a.labels) for a in self.attributes)

    @property
    def n_cells(self) -> int:
        return int(np.prod(self.shape))

    def attribute(self, name: str) -> Attribute:
        for a in self.attributes:
            if a.name == name:
                return a
        raise InvalidArgument(f"attribute {name!r} is not audited; audited attributes: {', '.join(self.names)}")

    def encode(self, people: pd.DataFrame) -> np.ndarray:
        """Flat cell code per person (C order over ``attributes``)."""
        code = np.zeros(len(people), dtype=np.int64)
        for a in self.attributes:
            code = code * len(a.labels) + a.encode(people[a.name])
        return code

    def marginal(self, per_cell: np.ndarray, keep: tuple[str, ...]) -> np.ndarray:
        """Sum a per-cell array (cells on axis 0) over every attribute not in ``keep``.

        The result has one axis per kept attribute (in layout order) followed by
        the trailing axes of ``per_cell``.
        """
        for k in keep:
            self.attribute(k)
        shaped = per_cell.reshape(self.shape + per_cell.shape[1:])
        drop = tuple(i for i, a in enumerate(self.attributes) if a.name not in keep)
        return shaped.sum(axis=drop) if drop else shaped

    def groups(self, keep: tuple[str, ...]) -> list[tuple[Any, ...]]:
        """Labels of each group of a marginal over ``keep``, in the marginal's C order."""
        labels = [a.labels for a in self.attributes if a.name in keep]
        out: list[tuple[Any, ...]] = [()]
        for ls in labels:
            out = [g + (label,) for g in out for label in ls]
        return out


def layout_for(by: tuple[str, ...] = (), *, spec: Any = None, people: pd.DataFrame | None = None) -> CellLayout:
    """The cell layout for income quintile x education plus the ``by`` attributes.

    Categories of extra attributes come from the spec for synthetic populations
    (``sex``, ``urban``, ``region``, ``age`` in the spec's bands) or, for a
    supplied population, from its categorical columns.
    """
    attrs = [
        Attribute(name="income_quintile", categories=tuple(INCOME_QUINTILES)),
        Attribute(name="education", categories=tuple(EDUCATION_LEVELS)),
    ]
    for name in by:
        if name in ("income_quintile", "education") or name in [a.name for a in attrs]:
            continue
        attrs.append(_attribute(name, spec=spec, people=people))
    return CellLayout(attributes=tuple(attrs))


def _attribute(name: str, *, spec: Any, people: pd.DataFrame | None) -> Attribute:
    if name == "urban":
        return Attribute(name="urban", categories=(False, True))
    if name == "sex" and spec is not None:
        return Attribute(name="sex", categories=("female", "male"))
    if name == "region" and spec is not None:
        return Attribute(name="region", categories=tuple(spec.regions))
    if name == "age":
        edges = tuple(spec.age.edges) if spec is not None else (18, 30, 45, 60, 131)
        labels = tuple(f"{lo}-{hi - 1}" for lo, hi in zip(edges, edges[1:]))
        return Attribute(name="age", categories=labels, bins=tuple(float(e) for e in edges))
    if people is not None and name in people.columns:
        col = people[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            cats = tuple(_plain(c) for c in col.cat.categories)
        else:
            values = pd.unique(col.dropna())
            if len(values) > 50:
                raise InvalidArgument(
                    f"by={name}: column has {len(values)} distinct values; audit attributes need at most 50 "
                    "categories — bin the column first"
                )
            cats = tuple(sorted(_plain(v) for v in values))
        return Attribute(name=name, categories=cats)
    known = "urban, sex, region, age" if spec is not None else "urban, age, or a column of the supplied people table"
    raise InvalidArgument(f"by={name!r}: no such attribute; use one of: {known}")
