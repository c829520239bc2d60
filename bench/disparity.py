"""Benchmark: disparity group statistics vs fairlearn's MetricFrame vs a bare numpy floor.

Usage::

    python bench/disparity.py              # 1,000,000 rows
    python bench/disparity.py --large      # also 10,000,000 rows
    python bench/disparity.py --rows 2e6 --chunk 5e5 --bootstrap 400

All three compute, for income quintile, education and their intersection,
per group: favourable (selection) rate, adverse (sanction) rate and mean
score, plus fairlearn's ``group_min``, ``group_max``, ``difference`` and
``ratio`` of the favourable rate. Ours streams: the rows are cut into chunks,
each chunk's counts are collected (one ``bincount`` per table on the cell
code), merged and finalized — and finalize computes more than the others
(tier shares, medians, LL144 scoring rates, impact ratios). The bootstrap
intervals are timed separately. The floor is four ``bincount`` calls on the
cell code, the least any implementation can do. Never run in tests.
"""

from __future__ import annotations

import argparse
import time
from types import MappingProxyType, SimpleNamespace

import numpy as np
import pandas as pd


def make_data(n: int, seed: int = 0) -> pd.DataFrame:
    """Rows like a scored population: quintile, education, a points score, tier, sanction."""
    rng = np.random.default_rng(seed)
    q = rng.integers(1, 6, n).astype(np.int8)
    edu = rng.integers(0, 4, n).astype(np.int8)
    score = np.round(1000 - 10 * rng.poisson(2.0 - 0.25 * q - 0.1 * edu + 0.5, n), 0).astype(np.float64)
    tier = np.select([score >= 970, score >= 850, score >= 600], [0, 1, 2], 3)
    from audit.population.model import education_categorical

    return pd.DataFrame(
        {
            "income_quintile": q,
            "education": education_categorical(edu),
            "score": score,
            "tier": tier,
            "favourable": tier <= 1,
            "sanctioned": tier >= 2,
        }
    )


SCORER = SimpleNamespace(
    name="bench", tiers=("A", "B", "C", "D"), favourable_tiers=frozenset({"A", "B"}),
    sanctions=MappingProxyType({"loans": "finance"}),
)


def ours(df: pd.DataFrame, chunk: int, bootstrap: int) -> tuple[float, dict]:
    from audit.aggregate import merge_tree
    from audit.disparity.audit import DisparityAudit, collect_counts
    from audit.engine.contract import AuditContext, AuditOptions
    from audit.population.groups import layout_for

    t0 = time.perf_counter()
    layout = layout_for(())
    parts = []
    for start in range(0, len(df), chunk):
        part = df.iloc[start : start + chunk]
        cells = layout.encode(part)
        parts.append(
            collect_counts(
                cells=cells, n_cells=layout.n_cells, tier=part["tier"].to_numpy(), n_tiers=4,
                sanctions=part["sanctioned"].to_numpy()[:, None], scores=part["score"].to_numpy(),
            )
        )
    merged = merge_tree(parts)
    options = AuditOptions(bootstrap=bootstrap, population_size=len(df))
    ctx = AuditContext(scorer=SCORER, label="bench", layout=layout, options=options, synthetic=False,
                       size=len(df), horizon_months=12)
    section = DisparityAudit(attribution_sample=0).finalize(merged, ctx)
    return time.perf_counter() - t0, section


def fairlearn(df: pd.DataFrame) -> tuple[float, dict]:
    from fairlearn.metrics import MetricFrame, selection_rate

    def mean_score(y_true, y_pred):
        return float(np.mean(y_true))

    def adverse_rate(y_true, y_pred, flag):
        return float(np.mean(flag))

    t0 = time.perf_counter()
    out = {}
    features = {
        "income_quintile": df["income_quintile"],
        "education": df["education"],
        "income_quintile×education": df[["income_quintile", "education"]],
    }
    for key, sf in features.items():
        mf = MetricFrame(
            metrics={"selection_rate": selection_rate, "mean_score": mean_score, "adverse_rate": adverse_rate},
            y_true=df["score"], y_pred=df["favourable"], sensitive_features=sf,
            sample_params={"adverse_rate": {"flag": df["sanctioned"].to_numpy()}},
        )
        out[key] = {
            "by_group": mf.by_group, "group_min": mf.group_min(), "group_max": mf.group_max(),
            "difference": mf.difference(), "ratio": mf.ratio(),
        }
    return time.perf_counter() - t0, out


def floor(df: pd.DataFrame) -> tuple[float, tuple]:
    """Four bincounts on the cell code: counts, favourable, adverse, score sums; then the rates."""
    t0 = time.perf_counter()
    q = df["income_quintile"].to_numpy().astype(np.int64) - 1
    e = df["education"].cat.codes.to_numpy().astype(np.int64)
    cells = q * 4 + e
    n = np.bincount(cells, minlength=20)
    fav = np.bincount(cells, weights=df["favourable"].to_numpy(), minlength=20)
    adv = np.bincount(cells, weights=df["sanctioned"].to_numpy(), minlength=20)
    total = np.bincount(cells, weights=df["score"].to_numpy(), minlength=20)
    n2, fav2 = n.reshape(5, 4), fav.reshape(5, 4)
    rates = (fav2.sum(1) / n2.sum(1), fav2.sum(0) / n2.sum(0), fav / n, adv / n, total / n)
    return time.perf_counter() - t0, rates


def check(section: dict, fl: dict) -> float:
    """Largest absolute difference between our per-group numbers and fairlearn's."""
    worst = 0.0
    for g in section["income_quintile"]["groups"]:
        row = fl["income_quintile"]["by_group"].loc[g["group"]]
        worst = max(worst, abs(g["favourable_rate"] - row["selection_rate"]), abs(g["mean_score"] - row["mean_score"]),
                    abs(g["adverse_rate"] - row["adverse_rate"]))
    worst = max(worst, abs(section["education"]["favourable"]["ratio"] - fl["education"]["ratio"]["selection_rate"]))
    return worst


def timed(fn, *args, **kw):
    """``((wall seconds, CPU seconds), result)`` of one call."""
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args, **kw)
    w, c = time.perf_counter() - w0, time.process_time() - c0
    return (w, c), (out[1] if isinstance(out, tuple) else out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=float, default=1e6, help="rows (default 1e6)")
    p.add_argument("--large", action="store_true", help="also run 1e7 rows")
    p.add_argument("--chunk", type=float, default=1e6, help="rows per streamed chunk (default 1e6)")
    p.add_argument("--bootstrap", type=int, default=400, help="replicates for the timed interval run (default 400)")
    args = p.parse_args()
    sizes = [int(args.rows)] + ([10_000_000] if args.large and int(args.rows) != 10_000_000 else [])
    print("wall-clock seconds (CPU seconds of this process in brackets: robust when the machine is shared)")
    print(f"{'rows':>12} {'ours':>16} {'ours+CI':>16} {'fairlearn':>18} {'numpy floor':>16} {'fairlearn/ours':>15} {'ours/floor':>11} {'max |diff|':>11}")
    warm = make_data(10_000)  # imports and first-call costs are not charged to anyone
    ours(warm, 5_000, bootstrap=10)
    fairlearn(warm)
    for n in sizes:
        df = make_data(n)
        (t_ours, c_ours), section = timed(ours, df, int(args.chunk), bootstrap=0)
        (t_ci, c_ci), _ = timed(ours, df, int(args.chunk), bootstrap=args.bootstrap)
        (t_fl, c_fl), fl = timed(fairlearn, df)
        (t_floor, c_floor), _ = timed(floor, df)
        diff = check(section, fl)
        cells = [f"{t:.3f}s ({c:.3f})" for t, c in ((t_ours, c_ours), (t_ci, c_ci), (t_fl, c_fl), (t_floor, c_floor))]
        print(f"{n:>12,} {cells[0]:>16} {cells[1]:>16} {cells[2]:>18} {cells[3]:>16} "
              f"{t_fl / t_ours:>8.0f}x ({c_fl / c_ours:.0f}x) {t_ours / t_floor:>5.1f}x ({c_ours / c_floor:.1f}x) {diff:>11.1e}")


if __name__ == "__main__":
    main()
