"""Benchmark: group encoding of int8 income quintiles, the object path against the integer path.

Usage::

    python bench/encode.py                  # 4,000,000 people
    python bench/encode.py --people 1e7 --repeats 9

Times :meth:`audit.population.groups.Attribute.encode` on an int8 quintile
column (as synthetic populations hold it) through the general path, which
boxes each value and looks it up, and through the integer path it now takes;
prints medians in ns per person and checks the codes equal. Never run in tests.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from unique_ids import median_seconds  # bench/ is the script's directory, first on sys.path

from audit.population.groups import layout_for


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=float, default=4e6, help="rows (default 4e6)")
    ap.add_argument("--repeats", type=int, default=7, help="timed repeats; the median is printed (default 7)")
    args = ap.parse_args()
    n = int(args.people)
    attribute = layout_for(()).attribute("income_quintile")
    column = pd.Series(np.random.default_rng(0).integers(1, 6, size=n).astype(np.int8))
    k = len(attribute.categories)

    def object_path() -> np.ndarray:
        codes = pd.Index(list(attribute.categories), dtype=object).get_indexer(column.astype(object).to_numpy())
        return np.where(codes < 0, k, codes).astype(np.int32)

    assert np.array_equal(object_path(), attribute.encode(column))
    old = median_seconds(object_path, args.repeats)
    new = median_seconds(lambda: attribute.encode(column), args.repeats)
    print(f"{n:,} int8 quintiles, median of {args.repeats}")
    print(f"object path  {old / n * 1e9:6.1f} ns/person")
    print(f"integer path {new / n * 1e9:6.1f} ns/person   ({old / new:.1f}x)")


if __name__ == "__main__":
    main()
