"""The "What it finds" table of docs/audits/dynamics.md: each reference scorer simulated on ``china-2020``.

Usage::

    python bench/dynamics_findings.py                 # 50,000 people, seed 0, five years, the four reference scorers
    python bench/dynamics_findings.py --size 2e4 --years 2 --scorer rongcheng

Per scorer, from its dynamics section (:func:`audit.dynamics.dynamics_section`):
the gap in favourable rate between the section's reference and compared
income quintiles at the start and after the years simulated, its change with
the 95% interval, the verdict on whether it grows, the share of score gains
bought in quintiles 1 and 5, and the mean ties lost by people sanctioned at
the end and by the others. Figures, not timings: the load does not move them.

Never run in tests.
"""

from __future__ import annotations

import argparse

SCORERS = ("suining", "rongcheng", "sesame", "joint_punishment")


def _points(x: float) -> str:
    return f"{100 * x:+.1f}".replace("-", "\N{MINUS SIGN}")


def row(name: str, size: int, seed: int, years: int) -> str:
    """One table row for scorer ``name``."""
    from audit.dynamics import dynamics_section, simulate
    from scorers.registry import load_scorer

    sec = dynamics_section(simulate(load_scorer(name), "china-2020", size=size, seed=seed, years=years))
    q = sec["by"]["income_quintile"]
    start, end = q["years"][0], q["years"][years]
    lo, hi = end["gap_change_ci"]
    rewards = sec["scheme"]["rewards"]
    bought = q["gaming"]["by_group"]
    share = (f"{100 * bought['1']['bought_share']:.0f}% / {100 * bought['5']['bought_share']:.0f}%"
             if rewards else "— (rewards nothing)")
    iso = sec["isolation"]
    ties = (f"{iso['sanctioned']['mean']:.2f} / {iso['unsanctioned']['mean']:.2f}" if iso["sanctioned"]["n"]
            else "(none sanctioned)")
    if iso["sanctioned"]["n"] and iso["sanctioned"]["n"] < 20:
        ties = f"({iso['sanctioned']['n']} sanctioned)"
    return (f"| `{name}` | Q{q['reference']} − Q{q['compared']} | {100 * start['gap']:.1f} points | "
            f"{100 * end['gap']:.1f} points | {_points(end['gap_change'])} [{_points(lo)}, {_points(hi)}] | "
            f"{q['gap_growth']['outcome']} | {share} | {ties} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scorer", action="append", help="a scorer (repeatable; default the four reference scorers)")
    p.add_argument("--size", type=float, default=50_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--years", type=int, default=5)
    args = p.parse_args()
    print(f"china-2020, {int(args.size):,} people, seed {args.seed}, {args.years} years")
    print("| scorer | gap | at the start | after | change [95% CI] | grows? | bought share of gains, Q1 / Q5 | "
          "ties lost, sanctioned / not |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.scorer or SCORERS:
        print(row(name, int(args.size), args.seed, args.years), flush=True)


if __name__ == "__main__":
    main()
