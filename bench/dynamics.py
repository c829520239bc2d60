"""Benchmark: the cost of a simulated person-month against one static scoring pass and one static audit.

Usage::

    python bench/dynamics.py                          # 200,000 people, rongcheng, 1 year, plus memory at 1 and 5 years
    python bench/dynamics.py --size 1e6 --years 5 --no-static --no-memory   # the country-scale run alone
    python bench/dynamics.py --scorer suining --size 5e4

Each measurement runs in a fresh child process (``--child``), so its peak
resident memory (``ru_maxrss``) is its own and imports and compilation are
not charged to the first one timed (each child warms its scorer on 2,000
people first). Reported:

- one static scoring pass: ``scorer.score`` of the population at the last
  month of the spec's horizon (the work one month of dynamics repeats);
- one static audit: :func:`audit.runner.run` of the scorer in this process
  (disparity with bootstrap intervals and the replay audits);
- dynamics: :func:`audit.dynamics.simulate` over ``--years``; the cost of a
  person-month, and a year of dynamics against one static audit (target <= 12x);
- memory: peak resident memory of the simulation at 1 and at ``--memory-years``
  years, the same people and chunk size (target: flat in the months), and of
  drawing the same population alone (the spec's horizon plus the simulated
  years, :func:`audit.dynamics.simulation.extended_source`): the difference is
  what the simulation itself holds. A scorer that declares ``lookback_months``
  is handed only that window of the log (docs/audits/dynamics.md).

Never run in tests.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def _warm(scorer_name: str) -> object:
    from audit.population.model import synthesize
    from scorers.registry import load_scorer

    scorer = load_scorer(scorer_name)
    pop = synthesize("china-2020", size=2000, seed=99)
    scorer.score(pop.view(), as_of=pop.horizon_months - 1)
    return scorer


def child(kind: str, scorer_name: str, size: int, years: int, chunk: int) -> dict:
    """One measurement in this process; returns seconds and peak memory (MiB)."""
    scorer = _warm(scorer_name)
    t0 = time.perf_counter()
    if kind == "score":
        from audit.population.source import open_source

        src = open_source("china-2020", size=size, seed=0)
        t_gen = 0.0
        seconds = 0.0
        for blocks in src.chunk_plan(chunk):
            g = time.perf_counter()
            pop = src.chunk(blocks)
            t_gen += time.perf_counter() - g
            s = time.perf_counter()
            scorer.score(pop.view(), as_of=pop.horizon_months - 1)  # type: ignore[attr-defined]
            seconds += time.perf_counter() - s
        out = {"seconds": seconds, "generate_seconds": t_gen}
    elif kind == "audit":
        from audit.runner import RunConfig, run

        run([scorer], RunConfig(population="china-2020", size=size, seed=0, chunk_size=chunk))
        out = {"seconds": time.perf_counter() - t0}
    elif kind == "draw":
        from audit.dynamics.simulation import extended_source

        src, _ = extended_source("china-2020", size=size, seed=0, years=years)
        for blocks in src.chunk_plan(chunk):
            src.chunk(blocks).view()
        out = {"seconds": time.perf_counter() - t0}
    else:
        from audit.dynamics import simulate

        sim = simulate(scorer, "china-2020", size=size, seed=0, years=years, chunk_size=chunk)
        if sim.error:
            raise SystemExit(sim.error)
        out = {"seconds": time.perf_counter() - t0}
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def measure(kind: str, args: argparse.Namespace, years: int) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, "--scorer", args.scorer, "--size", str(args.size),
           "--years", str(years), "--chunk-size", str(args.chunk_size)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scorer", default="rongcheng")
    p.add_argument("--size", type=float, default=200_000)
    p.add_argument("--years", type=int, default=1)
    p.add_argument("--memory-years", type=int, default=5)
    p.add_argument("--chunk-size", type=float, default=1_000_000)
    p.add_argument("--no-static", action="store_true", help="skip the static pass and audit")
    p.add_argument("--no-memory", action="store_true", help="skip the memory comparison")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    args.size, args.chunk_size = int(args.size), int(args.chunk_size)
    if args.child:
        print(json.dumps(child(args.child, args.scorer, args.size, args.years, args.chunk_size)))
        return
    print(f"{args.scorer}, china-2020, {args.size:,} people, chunks of {args.chunk_size:,}")
    dyn = measure("dynamics", args, args.years)
    months = 12 * args.years
    per = dyn["seconds"] / (args.size * months)
    print(f"dynamics, {args.years} year(s): {dyn['seconds']:.1f} s, {1e6 * per:.2f} us per person-month, "
          f"peak {dyn['peak_mib']:.0f} MiB")
    if not args.no_static:
        score = measure("score", args, args.years)
        audit = measure("audit", args, args.years)
        year = dyn["seconds"] / args.years
        print(f"static scoring pass: {score['seconds']:.2f} s ({1e6 * score['seconds'] / args.size:.2f} us per person)")
        print(f"static audit: {audit['seconds']:.1f} s, peak {audit['peak_mib']:.0f} MiB")
        print(f"a person-month costs {per * args.size / score['seconds']:.2f} static scoring passes' per-person cost; "
              f"a year of dynamics = {year / audit['seconds']:.2f}x one static audit (target <= 12x)")
    if not args.no_memory and args.memory_years != args.years:
        other = measure("dynamics", args, args.memory_years)
        draw = {y: measure("draw", args, y)["peak_mib"] for y in (args.years, args.memory_years)}
        print(f"memory: peak {dyn['peak_mib']:.0f} MiB at {args.years} year(s), {other['peak_mib']:.0f} MiB at "
              f"{args.memory_years} years ({other['seconds']:.1f} s)")
        print(f"drawing the population alone: peak {draw[args.years]:.0f} MiB at {args.years} year(s), "
              f"{draw[args.memory_years]:.0f} MiB at {args.memory_years} years; the simulation beyond the draw: "
              f"{dyn['peak_mib'] - draw[args.years]:.0f} MiB and {other['peak_mib'] - draw[args.memory_years]:.0f} MiB")


if __name__ == "__main__":
    main()
