"""Benchmark: ``np.unique`` against :func:`audit.population.columns.unique_ids` on id columns.

Usage::

    python bench/unique_ids.py                 # 4,000,000 ids
    python bench/unique_ids.py --ids 1e6 --repeats 9

Times both on sorted ids with repeats (as ``rows_with_ids`` and the ground-truth
re-score receive them), on the same ids shuffled, and on sorted ids passed with
``presorted=True``; prints the median of the repeats and checks the outputs equal.
Never run in tests.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from audit.population.columns import unique_ids


def median_seconds(fn, repeats: int) -> float:
    """Median wall-clock seconds of ``repeats`` calls of ``fn`` (also used by ``bench/encode.py``)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ids", type=float, default=4e6, help="number of ids (default 4e6)")
    ap.add_argument("--repeats", type=int, default=7, help="timed repeats; the median is printed (default 7)")
    args = ap.parse_args()
    n = int(args.ids)
    rng = np.random.default_rng(0)
    # about three rows per person, as in an event column
    ordered = np.sort(rng.integers(0, max(n // 3, 1), size=n, dtype=np.int64))
    shuffled = rng.permutation(ordered)
    print(f"numpy {np.__version__}, {n:,} int64 ids, median of {args.repeats}")
    print(f"{'input':<28}{'np.unique ms':>14}{'unique_ids ms':>15}{'speed-up':>10}")
    for label, ids, presorted in (
        ("sorted", ordered, False),
        ("sorted, presorted=True", ordered, True),
        ("shuffled", shuffled, False),
    ):
        assert np.array_equal(np.unique(ids), unique_ids(ids, presorted=presorted))
        old = median_seconds(lambda ids=ids: np.unique(ids), args.repeats)
        new = median_seconds(lambda ids=ids, p=presorted: unique_ids(ids, presorted=p), args.repeats)
        print(f"{label:<28}{old * 1e3:>14.1f}{new * 1e3:>15.1f}{old / new:>9.1f}x")


if __name__ == "__main__":
    main()
