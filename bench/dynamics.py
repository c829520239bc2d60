"""Benchmark: the cost of a simulated person-month against one static scoring pass and one static audit.

Usage::

    python bench/dynamics.py                          # 200,000 people, rongcheng, 1 year, plus memory at 1, 3, 5, 10 years
    python bench/dynamics.py --no-static --repeats 3  # the memory table alone, three runs of each
    python bench/dynamics.py --no-static --workers 2  # the same in the worker pool (both cores)
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
- memory: peak memory of the simulation at each of ``--memory-years`` (default
  1, 3, 5 and 10 years), the same people and ``--chunk-size`` (target: flat in
  the months for a scorer with a lookback window), ``--repeats`` times each (ranges). Two figures: the child's own
  peak resident memory (``ru_maxrss``), and the peak of its whole process tree
  (the child, and with ``--workers`` above 1 the forkserver and the worker
  processes), sampled every 20 ms with psutil as the sum of proportional set
  sizes (PSS: pages shared between processes counted once). Also the months a
  chunk holds and the chunks the simulation was cut into
  (:func:`audit.dynamics.simulation.held_months`,
  :func:`audit.dynamics.simulation.chunk_people`), and the peak of drawing the
  same chunks alone (each chunk's history, :func:`audit.dynamics.simulation.history_source`,
  then its simulated years one at a time, :class:`audit.dynamics.conduct.YearlyConduct`).
  A scorer that declares ``lookback_months`` is handed only that window of the
  log (docs/audits/dynamics.md).

The machine's load average is printed before and after: the machine is
shared, and timings (not memory) move with it.

Never run in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time


def _warm(scorer_name: str) -> object:
    from audit.population.model import synthesize
    from scorers.registry import load_scorer

    scorer = load_scorer(scorer_name)
    pop = synthesize("china-2020", size=2000, seed=99)
    scorer.score(pop.view(), as_of=pop.horizon_months - 1)
    return scorer


def child(kind: str, scorer_name: str, size: int, years: int, chunk: int, workers: int = 1) -> dict:
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
        from audit.dynamics.conduct import YearlyConduct
        from audit.dynamics.simulation import chunk_people, held_months, history_source
        from scorers.protocol import scorer_lookback

        src = history_source("china-2020", size=size, seed=0, years=years)
        assert src.spec is not None
        held = held_months(src.horizon_months, years, scorer_lookback(scorer))
        for blocks in src.chunk_plan(chunk_people(chunk, held, size=size, workers=workers)):
            src.chunk(blocks).view()
            conduct = YearlyConduct(src.spec, seed=0, size=size, blocks=blocks, start=src.horizon_months)
            for _ in range(years):
                conduct.next_year()
        out = {"seconds": time.perf_counter() - t0}
    else:
        from audit.dynamics import simulate

        sim = simulate(scorer, "china-2020", size=size, seed=0, years=years, chunk_size=chunk, workers=workers)
        if sim.error:
            raise SystemExit(sim.error)
        out = {"seconds": time.perf_counter() - t0, "chunks": sim.chunks}
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _tree_pss(proc, cpu: dict[int, float]) -> float:
    """Proportional set size of ``proc`` and its descendants, in bytes (0 for those gone or unreadable);
    records each one's CPU seconds so far (user + system) in ``cpu``."""
    import psutil

    total = 0.0
    try:
        members = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0.0
    for p in members:
        try:
            total += p.memory_full_info().pss
            t = p.cpu_times()
            cpu[p.pid] = max(cpu.get(p.pid, 0.0), t.user + t.system)
        except psutil.Error:
            pass
    return total


def measure(kind: str, args: argparse.Namespace, years: int) -> dict:
    """One measurement in a fresh child; its result, with the peak PSS of its process tree (``tree_mib``)."""
    import psutil

    cmd = [sys.executable, __file__, "--child", kind, "--scorer", args.scorer, "--size", str(args.size),
           "--years", str(years), "--chunk-size", str(args.chunk_size), "--workers", str(args.workers)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watched = psutil.Process(proc.pid)
    peak = [0.0]
    cpu: dict[int, float] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_pss(watched, cpu))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    done.set()
    sampler.join()
    if proc.returncode:
        raise SystemExit(f"bench child {kind} failed ({proc.returncode}): {err.strip()}")
    result = json.loads(out.strip().splitlines()[-1])
    result["tree_mib"] = peak[0] / 2**20
    result["cpu_seconds"] = sum(cpu.values())  # up to the last sample (the child's imports included)
    return result


def _span(values: list[float], digits: int = 0) -> str:
    lo, hi = min(values), max(values)
    return f"{lo:.{digits}f}" if round(lo, digits) == round(hi, digits) else f"{lo:.{digits}f}-{hi:.{digits}f}"


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def memory_table(args: argparse.Namespace) -> None:
    """Peak memory and time of the simulation at each of ``--memory-years``, ``--repeats`` times each."""
    from audit.dynamics.simulation import chunk_people, held_months
    from audit.population.spec import load_spec
    from scorers.protocol import scorer_lookback
    from scorers.registry import load_scorer

    horizon = load_spec("china-2020").horizon_months
    lookback = scorer_lookback(load_scorer(args.scorer))
    years_list = [int(y) for y in args.memory_years.split(",")]
    print(f"memory, {args.size:,} people, --chunk-size {args.chunk_size:,}, {args.workers} worker(s), "
          f"{args.repeats} run(s) each; load average {_load()}")
    print("years  months  held  chunk people  chunks  seconds      CPU seconds  own peak MiB  tree peak MiB  draw alone MiB")
    for years in years_list:
        runs = [measure("dynamics", args, years) for _ in range(args.repeats)]
        draw = measure("draw", args, years)
        months = horizon + 12 * years
        held = held_months(horizon, years, lookback)
        people = chunk_people(args.chunk_size, held, size=args.size, workers=args.workers)
        print(f"{years:>5}  {months:>6}  {held:>4}  {people:>12,}  {runs[0]['chunks']:>6}  "
              f"{_span([r['seconds'] for r in runs], 1):>11}  {_span([r['cpu_seconds'] for r in runs], 1):>11}  "
              f"{_span([r['peak_mib'] for r in runs]):>12}  "
              f"{_span([r['tree_mib'] for r in runs]):>13}  {draw['peak_mib']:>14.0f}")
    print(f"load average after: {_load()}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scorer", default="rongcheng")
    p.add_argument("--size", type=float, default=200_000)
    p.add_argument("--years", type=int, default=1)
    p.add_argument("--memory-years", default="1,3,5,10", help="years of the memory table, comma-separated")
    p.add_argument("--repeats", type=int, default=1, help="runs of each memory measurement (ranges)")
    p.add_argument("--workers", type=int, default=1, help="worker processes of the simulation (default 1: this process)")
    p.add_argument("--chunk-size", type=float, default=1_000_000)
    p.add_argument("--no-static", action="store_true", help="skip the static pass and audit")
    p.add_argument("--no-memory", action="store_true", help="skip the memory comparison")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    args.size, args.chunk_size = int(args.size), int(args.chunk_size)
    if args.child:
        print(json.dumps(child(args.child, args.scorer, args.size, args.years, args.chunk_size, args.workers)))
        return
    print(f"{args.scorer}, china-2020, {args.size:,} people, --chunk-size {args.chunk_size:,}, {args.workers} worker(s), "
          f"{os.cpu_count()} cores, load average {_load()}")
    dyn = measure("dynamics", args, args.years)
    months = 12 * args.years
    per = dyn["seconds"] / (args.size * months)
    print(f"dynamics, {args.years} year(s): {dyn['seconds']:.1f} s, {1e6 * per:.2f} us per person-month, "
          f"peak {dyn['peak_mib']:.0f} MiB (process tree {dyn['tree_mib']:.0f} MiB), {dyn['chunks']} chunk(s), "
          f"{dyn['cpu_seconds']:.1f} CPU seconds")
    if not args.no_static:
        score = measure("score", args, args.years)
        audit = measure("audit", args, args.years)
        year = dyn["seconds"] / args.years
        print(f"static scoring pass: {score['seconds']:.2f} s ({1e6 * score['seconds'] / args.size:.2f} us per person)")
        print(f"static audit: {audit['seconds']:.1f} s, peak {audit['peak_mib']:.0f} MiB")
        print(f"a person-month costs {per * args.size / score['seconds']:.2f} static scoring passes' per-person cost; "
              f"a year of dynamics = {year / audit['seconds']:.2f}x one static audit (target <= 12x)")
    if not args.no_memory:
        memory_table(args)


if __name__ == "__main__":
    main()
