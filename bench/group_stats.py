"""Benchmark: the disparity audit's group statistics against a numpy ``bincount`` floor and polars ``group_by``.

Usage::

    python bench/group_stats.py                    # 1e6 and 1e7 rows, 7 repeats each
    python bench/group_stats.py --rows 1e6 --repeats 11

Rows are people of a scored chunk as the engine hands them to the audits: an
int8 income quintile and a categorical education in the people table; a
whole-point score, a categorical tier and two bool sanction columns in the
scorer's frame. Per repeat, on the same rows:

- ours: what the disparity audit does for its group statistics —
  :meth:`CellLayout.encode` of the people and :func:`frame_counts` of the
  frame for every batch of 1,048,576 rows (the engine's batch), the batches'
  statistics merged (:func:`merge_tree`) and finalized
  (:meth:`DisparityAudit.finalize` without bootstrap, ground truth or rule
  attribution). It keeps more than the others: people per tier and per
  sanction, every score's count, exact sums, and the finalized section
  (rates, ratios, exact intervals, medians, LL144 scoring rates);
- numpy floor: the combined cell code ``quintile * 5 + education`` and four
  ``bincount`` calls on it (people, favourable, adverse, score sum), batch by
  batch like ours: the least numpy does for those sums; "bincounts only"
  times the four calls alone on precomputed codes;
- polars (when installed; never a dependency of the package):
  ``group_by(["income_quintile", "education"])`` with the same four sums.

Prints medians over the repeats of CPU seconds (this process, all its
threads: polars runs a thread per core) and wall seconds, ns per row, and
the ratios of ours to the floor and to polars, with the machine and its load.
The figures are checked equal: ours and the floor's people, favourable and
adverse counts and score sums per cell. Never run in tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from types import MappingProxyType, SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

BATCH = 1 << 20  # audit.engine.chunks.ChunkTask.batch_size
SCORER = SimpleNamespace(
    name="bench", tiers=("A", "B", "C", "D"), favourable_tiers=frozenset({"A", "B"}),
    sanctions=MappingProxyType({"loans": "finance", "flights": "transport"}),
)


def make_rows(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(people, frame)``: n people as a synthetic chunk holds them, and a points scorer's frame of them."""
    from audit.population.synth.tables import EDUCATION_CATEGORIES

    rng = np.random.default_rng(seed)
    q = rng.integers(1, 6, n).astype(np.int8)
    edu = rng.integers(0, 4, n).astype(np.int8)
    score = (1000 - 10 * rng.poisson(2.5 - 0.25 * q - 0.1 * edu, n)).astype(np.float64)
    tier = np.select([score >= 990, score >= 970, score >= 940], [0, 1, 2], 3).astype(np.int8)
    people = pd.DataFrame({
        "person_id": np.arange(n, dtype=np.int64),
        "income_quintile": q,
        "education": pd.Categorical.from_codes(edu, dtype=EDUCATION_CATEGORIES),
    })
    frame = pd.DataFrame({
        "person_id": people["person_id"].to_numpy(),
        "score": score,
        "tier": pd.Categorical.from_codes(tier, categories=list(SCORER.tiers), ordered=True),
        "loans": tier >= 2,
        "flights": tier == 3,
    })
    return people, frame


def ours(people: pd.DataFrame, frame: pd.DataFrame) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(merged statistics, finalized section)``: encode, collect per batch, merge, finalize."""
    from audit.aggregate import merge_tree
    from audit.disparity.audit import DisparityAudit, frame_counts
    from audit.engine.contract import AuditContext, AuditOptions
    from audit.population.groups import layout_for

    layout = layout_for(())
    parts = []
    for start in range(0, len(people), BATCH):
        stop = min(start + BATCH, len(people))
        cells = layout.encode(people.iloc[start:stop])
        parts.append(frame_counts(frame.iloc[start:stop], SCORER, cells=cells, n_cells=layout.n_cells))
    merged = merge_tree(parts)
    options = AuditOptions(bootstrap=0, population_size=len(people))
    ctx = AuditContext(scorer=SCORER, label="bench", layout=layout, options=options, synthetic=False,
                       size=len(people), horizon_months=12)
    section = DisparityAudit(attribution_sample=0, ground_truth=False).finalize(merged, ctx)
    return merged, section


def combined_code(people: pd.DataFrame) -> np.ndarray:
    """``(quintile - 1) * 5 + education``: one code per (quintile, education) cell."""
    return (people["income_quintile"].to_numpy().astype(np.int64) - 1) * 5 + people["education"].cat.codes.to_numpy()


def floor(people: pd.DataFrame, frame: pd.DataFrame) -> list[np.ndarray]:
    """People, favourable, adverse and score sum per (quintile, education) cell: a combined code, four bincounts.

    In batches of :data:`BATCH` rows, as ours runs: on 1e7 rows at once numpy's full-length temporaries
    (the bool weights as float64, the code as int64) cost about twice as much per row.
    """
    total = [np.zeros(25) for _ in range(4)]
    for start in range(0, len(people), BATCH):
        part = bincounts(combined_code(people.iloc[start : start + BATCH]), frame.iloc[start : start + BATCH])
        total = [t + p for t, p in zip(total, part)]
    return total


def bincounts(cells: np.ndarray, frame: pd.DataFrame) -> list[np.ndarray]:
    favourable = frame["tier"].cat.codes.to_numpy() <= 1
    return [
        np.bincount(cells, minlength=25),
        np.bincount(cells, weights=favourable, minlength=25),
        np.bincount(cells, weights=frame["loans"].to_numpy(), minlength=25),
        np.bincount(cells, weights=frame["score"].to_numpy(), minlength=25),
    ]


def bincounts_only(codes: list[np.ndarray], frames: list[pd.DataFrame]) -> None:
    """The four bincounts of :func:`floor` on precomputed batch codes."""
    for cells, part in zip(codes, frames):
        bincounts(cells, part)


def polars_frame(people: pd.DataFrame, frame: pd.DataFrame) -> Any:
    """The same columns as a polars frame (built outside the timing, as ours gets its frames built)."""
    import polars as pl

    return pl.DataFrame({
        "income_quintile": people["income_quintile"].to_numpy(),
        "education": people["education"].cat.codes.to_numpy(),
        "favourable": frame["tier"].cat.codes.to_numpy() <= 1,
        "adverse": frame["loans"].to_numpy(),
        "score": frame["score"].to_numpy(),
    })


def polars_sums(table: Any) -> Any:
    import polars as pl

    return table.group_by(["income_quintile", "education"]).agg(
        pl.len(), pl.col("favourable").sum(), pl.col("adverse").sum(), pl.col("score").sum()
    )


def check(merged: dict[str, Any], sums: tuple[np.ndarray, ...]) -> None:
    """Ours and the floor agree on every cell of quintile x education (unknown categories are empty here)."""
    from audit.aggregate import limbs_to_float

    tiers = merged["tiers"].array.reshape(6, 5, 4)[:5, :4].reshape(20, 4)
    n, fav, adv, total = (np.asarray(s).reshape(5, 5)[:, :4].reshape(20) for s in sums)
    assert np.array_equal(tiers.sum(axis=1), n)
    assert np.array_equal(tiers[:, :2].sum(axis=1), fav)
    assert np.array_equal(merged["sanctions"].array[:, 0].reshape(6, 5)[:5, :4].reshape(20), adv)
    exact = limbs_to_float(merged["scores"].sum_limbs).reshape(6, 5)[:5, :4].reshape(20)
    assert np.array_equal(exact, total)  # whole points: bincount's float sums are exact too


def timed(repeats: int, fn: Callable[..., Any], *args: Any) -> tuple[float, float, Any]:
    """Median CPU seconds (this process, every thread), median wall seconds, and the last result of ``fn(*args)``."""
    fn(*args)  # first calls: imports, compiled kernels, caches
    cpu, wall = [], []
    out = None
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        out = fn(*args)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return float(np.median(cpu)), float(np.median(wall)), out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", default="1e6,1e7", help="comma-separated row counts (default 1e6,1e7)")
    p.add_argument("--repeats", type=int, default=7, help="timed repeats per size; medians are printed (default 7)")
    args = p.parse_args()
    try:
        import polars as pl

        have_polars = f"polars {pl.__version__}, {pl.thread_pool_size()} threads"
    except ImportError:
        have_polars = ""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"machine: {os.cpu_count()} cores ({cpu}), Python "
          f"{platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
          f"{have_polars or 'polars not installed (its column is left out)'}")
    print(f"load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())}; medians of {args.repeats} repeats, "
          "CPU seconds of this process (all threads) with wall seconds in brackets")
    print(f"{'rows':>12} {'ours':>17} {'numpy floor':>17} {'bincounts only':>17} {'polars':>17} "
          f"{'ours ns/row':>11} {'ours/floor':>10} {'ours/polars':>11}")
    for rows in (int(float(r)) for r in args.rows.split(",")):
        people, frame = make_rows(rows)
        c_ours, w_ours, (merged, _) = timed(args.repeats, ours, people, frame)
        c_floor, w_floor, sums = timed(args.repeats, floor, people, frame)
        codes = [combined_code(people.iloc[i : i + BATCH]) for i in range(0, rows, BATCH)]
        frames = [frame.iloc[i : i + BATCH] for i in range(0, rows, BATCH)]
        c_bins, w_bins, _ = timed(args.repeats, bincounts_only, codes, frames)
        check(merged, sums)
        if have_polars:
            table = polars_frame(people, frame)
            c_pl, w_pl, _ = timed(args.repeats, polars_sums, table)
            pl_cell = f"{c_pl:.3f} ({w_pl:.3f})"
            vs_pl = f"{c_ours / c_pl:.2f}x"
        else:
            pl_cell, vs_pl = "-", "-"
        print(f"{rows:>12,} {f'{c_ours:.3f} ({w_ours:.3f})':>17} {f'{c_floor:.3f} ({w_floor:.3f})':>17} "
              f"{f'{c_bins:.3f} ({w_bins:.3f})':>17} {pl_cell:>17} {c_ours / rows * 1e9:>11.1f} "
              f"{c_ours / c_floor:>9.2f}x {vs_pl:>11}", flush=True)
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("ours/floor and ours/polars are ratios of CPU seconds; every count and sum of ours equals the floor's")


if __name__ == "__main__":
    main()
