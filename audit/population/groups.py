"""Group cells: the cross of income quintile, education and any extra attributes.

Every audit statistic is kept per *cell* — one combination of the audited
attributes — as a flat integer code, so a chunk's statistics are one
``numpy.bincount`` and merging chunks is addition. Each attribute has a
fixed, public list of categories (from the spec, never learned from the
data a chunk happens to hold) plus one ``unknown`` category, so cells mean the
same thing in every chunk and unknowns are counted rather than dropped.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from audit.errors import InvalidArgument, InvalidTable
from audit.output.artefacts import plain_scalar as _plain
from audit.population.columns import unique_ids
from audit.population.group_terms import band_labels, parse_by
from audit.population.table_files import excerpt
from audit.vocab import EDUCATION_LEVELS, INCOME_QUINTILES

__all__ = ["Attribute", "CellLayout", "UNKNOWN", "layout_for"]

#: Label of the extra category that collects missing or unexpected values.
UNKNOWN = "unknown"
#: Most categories an attribute audited by its values may have (more: band it or group its values).
MAX_CATEGORIES = 50


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

    def byte_codes(self, column: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
        """``(raw, table)`` with ``table[raw]`` equal to :meth:`encode` of ``column``; ``None`` if no such pair.

        ``raw`` holds one byte per row (uint8) and ``table`` the code of every
        byte value (256 int64 entries). They exist for the columns a synthetic
        population holds, which are a byte per person: categoricals of up to
        127 categories (their codes), int8, uint8 and booleans (their values),
        and int16 (ages) when the attribute has at most 256 labels (``raw`` is
        then the code, through a table of all 65,536 values). The table is
        :meth:`encode` itself applied to every possible byte value, so the two
        cannot disagree; a row's code depends on its value alone.
        """
        if len(self.labels) > 256:
            return None
        dtype = column.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            codes = column.cat.codes.to_numpy()
            if codes.dtype != np.int8:
                return None
            return codes.view(np.uint8), _byte_table(self, dtype)
        if not isinstance(dtype, np.dtype) or dtype.kind not in "iub":
            return None
        values = column.to_numpy()
        if dtype.itemsize == 1:
            return values.view(np.uint8), _byte_table(self, dtype)
        if dtype.itemsize == 2 and dtype.kind in "iu":
            return _byte_table(self, dtype)[values.view(np.uint16)], np.arange(256, dtype=np.int64)
        return None


def _byte_table(attribute: Attribute, dtype: Any) -> np.ndarray:
    """:meth:`Attribute.encode` of every value a column of ``dtype`` can hold, by the value's bits (cached).

    int64 codes by byte for categoricals (by code; 255 is a missing value's -1)
    and one-byte dtypes; uint8 codes by 16-bit pattern for two-byte integers.
    Cached by the attribute's categories with their types (``1``, ``1.0`` and
    ``True`` are equal keys of a dict, not the same category) and the dtype's.
    """
    def typed(values: Any) -> tuple[Any, ...]:
        return tuple((type(v), v) for v in values)

    what = ("categorical", typed(dtype.categories), dtype.ordered) if isinstance(dtype, pd.CategoricalDtype) else dtype.str
    key = (attribute.name, typed(attribute.categories), attribute.bins, what)
    table = _BYTE_TABLES.get(key)
    if table is not None:
        return table
    k = len(attribute.categories)
    if isinstance(dtype, pd.CategoricalDtype):
        every = np.arange(-1, len(dtype.categories), dtype=np.int8)  # -1: missing
        table = np.full(256, k, dtype=np.int64)
        table[every.view(np.uint8)] = attribute.encode(pd.Series(pd.Categorical.from_codes(every, dtype=dtype)))
    elif dtype.itemsize == 1:
        every = np.array([False, True]) if dtype.kind == "b" else np.arange(256, dtype=np.uint8).view(dtype)
        table = np.full(256, k, dtype=np.int64)
        table[every.view(np.uint8)] = attribute.encode(pd.Series(every))
        if dtype.kind == "b":
            table[2:] = table[1]  # numpy reads any non-zero byte of a boolean as True
    else:
        every = np.arange(1 << 16, dtype=np.uint16).view(dtype)
        table = attribute.encode(pd.Series(every)).astype(np.uint8)
    table.flags.writeable = False
    if len(_BYTE_TABLES) >= 256:  # a long session auditing many different columns: start afresh
        _BYTE_TABLES.clear()
    _BYTE_TABLES[key] = table
    return table


#: Tables of :func:`_byte_table`, by attribute and dtype.
_BYTE_TABLES: dict[tuple[Any, ...], np.ndarray] = {}


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
    intersections: tuple[tuple[str, ...], ...] = ()
    """Attributes reported crossed with each other, besides income quintile x education."""

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
        """Flat cell code per person (C order over ``attributes``), int64.

        Each attribute is read as one byte per person and a table of its codes
        (:meth:`Attribute.byte_codes`, or its :meth:`Attribute.encode` codes
        as bytes), and the codes are combined in one compiled pass
        (:mod:`audit.population.cell_codes`); :meth:`encode_reference` is the
        plain formulation, with the same result.
        """
        n = len(people)
        if not self.attributes:
            return np.zeros(n, dtype=np.int64)
        raws: list[np.ndarray] = []
        tables = np.zeros((len(self.attributes), 256), dtype=np.int64)
        for j, a in enumerate(self.attributes):
            if len(a.labels) > 256:
                return self.encode_reference(people)
            column = people[a.name] if a.name in people.columns else pd.Series(np.full(n, np.nan))
            pair = a.byte_codes(column)
            if pair is None:
                pair = a.encode(column).astype(np.uint8), np.arange(256, dtype=np.int64)
            raw = np.ascontiguousarray(pair[0]).view()
            raw.flags.writeable = False  # all read-only (pandas hands out read-only arrays): one compiled signature
            raws.append(raw)
            tables[j] = pair[1]
        from audit.population.cell_codes import cells_of_bytes

        out = np.empty(n, dtype=np.int64)
        if n:
            cells_of_bytes(tuple(raws), tables, np.array(self.shape, dtype=np.int64), out)
        return out

    def encode_reference(self, people: pd.DataFrame) -> np.ndarray:
        """:meth:`encode` as plain numpy: each attribute's :meth:`Attribute.encode`, combined in C order."""
        code = np.zeros(len(people), dtype=np.int64)
        for a in self.attributes:
            column = people[a.name] if a.name in people.columns else pd.Series(np.full(len(people), np.nan))
            code = code * len(a.labels) + a.encode(column)
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


def layout_for(
    by: tuple[str, ...] = (), *, spec: Any = None, people: pd.DataFrame | None = None, source: str | None = None,
) -> CellLayout:
    """The cell layout of a run: income quintile x education (when known) plus the ``by`` terms.

    ``by`` terms are read by :func:`audit.population.group_terms.parse_by` (columns,
    ``age:bands=25,45``, ``race×sex``). Categories of extra attributes come from
    the spec for synthetic populations (``sex``, ``urban``, ``region``, ``age`` in
    the spec's bands) or, for a supplied population, from its columns. A
    supplied table without ``income_quintile`` or ``education`` is not audited
    by them; one audited by two or more attributes and no intersection gets the
    intersection of the first two (NYC LL144 reports sex x race/ethnicity).
    """
    terms = parse_by(by)
    attrs: list[Attribute] = []
    for name in ("income_quintile", "education"):
        if spec is not None or people is None or name in people.columns:
            cats = tuple(INCOME_QUINTILES) if name == "income_quintile" else tuple(EDUCATION_LEVELS)
            attrs.append(Attribute(name=name, categories=cats))
    base = [a.name for a in attrs]
    extra = [name for name in terms.attributes if name not in base]
    for name in extra:
        attrs.append(_attribute(name, spec=spec, people=people, cuts=terms.cuts(name), source=source))
    crossed = list(terms.intersections)
    if people is not None and spec is None and not crossed and len(extra) >= 2:
        crossed.append((extra[0], extra[1]))
    if len(base) == 2:
        crossed = [c for c in crossed if set(c) != set(base)]  # income x education is always reported
    return CellLayout(attributes=tuple(attrs), intersections=tuple(crossed))


def _attribute(name: str, *, spec: Any, people: pd.DataFrame | None, cuts: tuple[float, ...] | None, source: str | None) -> Attribute:
    supplied = people is not None and spec is None
    if supplied and name not in people.columns:  # type: ignore[union-attr]
        raise _no_such(name, spec, people)
    if supplied:
        _has_values(people[name], name, source)  # type: ignore[index]
    if cuts is not None:
        if supplied:
            _numeric(people[name], name, source)  # type: ignore[index]
        elif name != "age":
            raise _no_such(name, spec, people)
        edges = (-np.inf, *cuts, np.inf)
        return Attribute(name=name, categories=band_labels(cuts), bins=tuple(float(e) for e in edges))
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
            if len(values) > MAX_CATEGORIES:
                numeric = pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype)
                fix = f"band it, e.g. by='{name}:bands=25,45'" if numeric else "group its values into fewer categories first"
                raise InvalidArgument(
                    f"by={name}: column has {len(values)} distinct values; audit attributes need at most "
                    f"{MAX_CATEGORIES} categories -- {fix}"
                )
            plain = [_plain(v) for v in values]
            try:
                cats = tuple(sorted(plain))
            except TypeError:  # mixed kinds of value: in order of their text
                cats = tuple(sorted(plain, key=str))
        return Attribute(name=name, categories=cats)
    raise _no_such(name, spec, people)


def _no_such(name: str, spec: Any, people: pd.DataFrame | None) -> InvalidArgument:
    if spec is not None or people is None:
        return InvalidArgument(f"by={name!r}: no such attribute; use one of: urban, sex, region, age")
    have = [str(c) for c in people.columns if c not in ("person_id", "reliability")]
    guess = difflib.get_close_matches(name, have, n=1, cutoff=0.6)
    hint = f" (did you mean {guess[0]!r}?)" if guess else ""
    return InvalidArgument(
        f"by={name!r}: the people table has no such column{hint}; audit by one of its columns: "
        f"{', '.join(map(repr, have[:20]))}"
    )


def _has_values(col: pd.Series, name: str, source: str | None) -> None:
    """Refuse an audited column with no values at all: every person would be ``unknown``."""
    if len(col) and bool(col.isna().all()):
        raise InvalidTable(
            f"{source or '<DataFrame people>'}, column {name!r}, data row 1: every value is missing; "
            f"{len(col)} of {len(col)} rows affected. Fix: fill in the column, or audit by another column."
        )


def _numeric(col: pd.Series, name: str, source: str | None) -> None:
    """Refuse bands on a column that holds something other than numbers."""
    if pd.api.types.is_bool_dtype(col.dtype):
        bad = np.ones(len(col), dtype=bool)
    else:
        num = pd.to_numeric(col.astype(object) if isinstance(col.dtype, pd.CategoricalDtype) else col, errors="coerce")
        bad = (num.isna() & col.notna()).to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidTable(
            f"{source or '<DataFrame people>'}, column {name!r}, data row {i + 1} (in person_id order): "
            f"not a number, got {excerpt(col.iloc[i])}; {int(bad.sum())} of {len(col)} rows affected. "
            f"Fix: bands need a numeric column; audit '{name}' by its values (by='{name}') or correct the rows."
        )
