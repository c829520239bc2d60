"""Benchmark: CPU ns per person of each reference scorer, this tree against another, and their scores compared.

Usage::

    python bench/scoring.py --against /path/to/other/tree          # 1,048,576 people, 5 repeats
    python bench/scoring.py --against ../main --people 262144 --repeats 7 --calls 5
    python bench/scoring.py                                       # this tree only
    python bench/scoring.py --against ../main --layout month      # events in month order, as dynamics hands them
    python bench/scoring.py --against ../main --small 256         # also: CPU per call on 256 people, as re-scoring samples
    python bench/scoring.py --against ../main --kernels           # also: CPU of each compiled kernel called alone
    python bench/scoring.py --prefetch --repeats 4                # Sesame's tie kernel, each prefetch distance

Each repeat starts one fresh process per tree, in alternating order (this
tree first in even repeats, the other first in odd ones), with ``PYTHONPATH``
at that tree. A process tunes the allocator as a run's worker does
(:func:`audit.engine.chunks.reuse_freed_memory`), generates one batch of
``china-2020`` people (the run's batch size by default), scores it once with
every scorer to load the compiled kernels, then ``--calls`` times with each
scorer in turn through the contract check a run applies
(:func:`audit.engine.contract.score_checked`), and reports the median CPU
seconds of each scorer's calls (``time.process_time``: user + system of
every thread of the process, to the nanosecond; scoring starts no other
process, and psutil's 10 ms ticks are too coarse for one call), and a
digest of each scorer's frame (scores' bits, tiers, sanctions, reasons).

With ``--kernels`` a process also calls each compiled per-person kernel
alone on the batch (``points_kernel`` for Suining and Rongcheng,
``sesame_kernel``, ``sesame_reasons_kernel``, ``listing_kernel``, with the
arguments the scorers pass) ``--calls`` times and reports the median CPU ns
per person of each, with a digest of its outputs (compared between trees
like the frames): what a change inside the kernels does, without the
frame building and checks around them.

With ``--prefetch`` (this tree only, no ``--against``) each process
calls ``sesame_reasons_kernel`` alone on the batch with each distance of
:data:`PREFETCHES` in turn (``prefetch_ties``: the tie ahead whose friend is
prefetched; 0: none, the kernel as it was before prefetching), ``--calls``
rounds, and reports the median CPU ns per person of each distance; the
ratio to no prefetching is taken per process (the calls of one round run
one right after the other on the same arrays). It stops with an error
unless every distance gives the same outputs.

With ``--small K`` a process also scores a view of K of the batch's people
(every ``people // K``-th, with their events and no ties: what the
ground-truth re-score hands a scorer that reads no ties) ``--small-calls``
times with each scorer, behind the boundary a run puts around a scorer
(:func:`scorers.adapter.adapt`), and reports the median CPU microseconds
of a call: the fixed cost of a ``score`` call, which the ground-truth and
attribution samples pay several times a batch.

Prints, per scorer and for the four together, the range over repeats of
CPU ns per person (and with ``--small``, CPU microseconds per small call)
in each tree and of the ratio this tree / other tree (taken per repeat, the
two processes run one right after the other), and the load average before
and after; stops with an error if the two trees' frames differ. Never run in tests. Needs psutil (for the machine's
description): ``pip install -e ".[bench]"``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from alternating import span  # bench/alternating.py: bench/ is first on sys.path

HERE = Path(__file__).resolve().parent
TREE = HERE.parent
SCORERS = ("suining", "rongcheng", "sesame", "joint_punishment")
KERNELS = ("points:suining", "points:rongcheng", "sesame", "sesame_reasons", "listing")
PREFETCHES = (0, 8, 32, 64)


# ----------------------------------------------------------------------------- one process: one tree


def frame_digest(frame) -> str:
    """SHA-256 of a validated score frame: scores' bits, tier codes, sanction flags and reasons, index, columns and dtypes."""
    import numpy as np

    h = hashlib.sha256()
    tier = frame["tier"].dtype
    h.update(repr((list(frame.columns), frame.columns.dtype, [str(d) for d in frame.dtypes])).encode())
    h.update(repr((list(tier.categories), tier.categories.dtype, tier.ordered)).encode())
    h.update(repr((type(frame.index).__name__, frame.index.dtype)).encode())
    h.update(np.ascontiguousarray(frame.index.to_numpy()).tobytes())
    h.update(np.ascontiguousarray(frame["score"].to_numpy(dtype=np.float64)).tobytes())
    h.update(np.ascontiguousarray(frame["tier"].cat.codes.to_numpy()).tobytes())
    for col in frame.columns:
        if col not in ("score", "tier", "reasons"):
            h.update(col.encode())
            h.update(np.ascontiguousarray(frame[col].to_numpy(dtype=bool)).tobytes())
    if "reasons" in frame.columns:
        h.update("\n".join(",".join(r) for r in frame["reasons"].to_numpy()).encode())
    return h.hexdigest()


def small_view(view, k: int):
    """Every ``len(view.people) // k``-th person of ``view`` with their events and no ties (a re-scored sample's view)."""
    import numpy as np

    from audit.population.model import PopulationView

    rows = np.arange(0, len(view.people), max(len(view.people) // k, 1))[:k]
    ids = view.people["person_id"].to_numpy()[rows]
    mine = np.flatnonzero(np.isin(view.events["person_id"].to_numpy(), ids))
    return PopulationView(people=view.people.iloc[rows], events=view.events.iloc[mine], ties=view.ties.iloc[:0],
                          horizon_months=view.horizon_months)


def measure_small(scorers: dict, view, as_of: int, k: int, calls: int) -> tuple[dict, dict]:
    """Median CPU microseconds of a ``score_checked`` call on ``k`` people (:func:`small_view`), and the frames' digests."""
    from scorers.adapter import adapt

    small = small_view(view, k)
    seconds, digests = timed_calls({name: adapt(s) for name, s in scorers.items()}, small, as_of, calls)
    return {name: v * 1e6 for name, v in seconds.items()}, digests


def timed_calls(scorers: dict, view, as_of: int, calls: int) -> tuple[dict[str, float], dict[str, str]]:
    """Each scorer's median CPU seconds over ``calls`` checked calls on ``view``, and the digest of its frame."""
    import numpy as np

    from audit.engine.contract import score_checked

    cpu = time.process_time  # every thread of this process, to the nanosecond (psutil counts 10 ms ticks)
    digests = {name: frame_digest(score_checked(s, view, as_of=as_of)) for name, s in scorers.items()}
    seconds: dict[str, list[float]] = {name: [] for name in scorers}
    for _ in range(calls):
        for name, s in scorers.items():
            t0 = cpu()
            score_checked(s, view, as_of=as_of)
            seconds[name].append(cpu() - t0)
    return {name: float(np.median(v)) for name, v in seconds.items()}, digests


def kernel_calls(view, as_of: int) -> dict:
    """Each compiled kernel of :data:`KERNELS` as a call without arguments, given what its scorer passes it."""
    from scorers import sesame as S
    from scorers._kernels import (
        listing_kernel,
        month_bound,
        person_events,
        points_kernel,
        reason_lut,
        run_on_ties,
        sesame_kernel,
        sesame_reasons_kernel,
    )
    from scorers.joint_punishment import _DEFAULT, _NEVER, _PERFORMED
    from scorers.protocol import MAX_REASONS
    from scorers.registry import load_scorer

    calls = {}
    for name in ("suining", "rongcheng"):
        scheme = load_scorer(name).scheme
        ev, rules = person_events(view, as_of, amount=bool(scheme.rewards)), scheme.compile().arguments()
        calls[f"points:{name}"] = lambda ev=ev, rules=rules: ev.run(
            points_kernel, amount=ev.amount, as_of=month_bound(as_of),
            lut=reason_lut(len(S.EVENT_KINDS), MAX_REASONS), **rules)
    ev = person_events(view, as_of, since=as_of - 24 + 1)  # Sesame's default window
    capacities, identities = S._capacities_identities(view.people)
    sesame_rules = dict(repaid_code=S._REPAID, neg_w=S._CREDIT_NEGATIVE, bw=S._BEHAVIOUR_POINTS, costly=S._COSTLY,
                        neutral=S.NEUTRAL, capacity=capacities, identity=identities, w=S._WEIGHTS, span=S._SPAN,
                        k=MAX_REASONS, min_cost=S._MIN_COST)
    calls["sesame"] = lambda: ev.run(sesame_kernel, **sesame_rules)
    own, top_idx, top_val = calls["sesame"]()
    calls["sesame_reasons"] = lambda: run_on_ties(
        view, sesame_reasons_kernel, people_first=ev.people_first, own=own, top_idx=top_idx, top_val=top_val,
        neutral=S.NEUTRAL, weight=S.WEIGHTS["relationships"], score_min=S.SCORE_MIN, span=S._SPAN, bounds=S._BOUNDS,
        n_labels=len(S.REASON_LABELS), k=MAX_REASONS, min_cost=S._MIN_COST,
        lut=reason_lut(len(S.REASON_LABELS), MAX_REASONS))
    listing_events = person_events(view, as_of)
    calls["listing"] = lambda: listing_events.run(
        listing_kernel, default_code=_DEFAULT, performed_code=_PERFORMED, listing_months=24, extension_months=12,
        max_listing_months=60, honour_performance=True, never=_NEVER)
    return calls


def output_digest(out) -> str:
    """SHA-256 of a kernel's outputs: every array's dtype, shape and bytes (a combination table up to its count)."""
    import numpy as np

    parts = out if isinstance(out, tuple) else (out,)
    if len(parts) == 5:  # (score, tier, combo, keys, count): keys past count are scratch
        parts = (*parts[:3], parts[3][: parts[4]], parts[4])
    h = hashlib.sha256()
    for part in parts:
        a = np.asarray(part)
        h.update(repr((a.dtype.str, a.shape)).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def timed_kernels(view, as_of: int, calls: int) -> tuple[dict[str, float], dict[str, str]]:
    """Each kernel's median CPU seconds over ``calls`` calls on ``view`` (after one untimed), and its outputs' digest."""
    import numpy as np

    cpu = time.process_time
    kernels = kernel_calls(view, as_of)
    digests = {name: output_digest(call()) for name, call in kernels.items()}
    seconds: dict[str, list[float]] = {name: [] for name in kernels}
    for _ in range(calls):
        for name, call in kernels.items():
            t0 = cpu()
            call()
            seconds[name].append(cpu() - t0)
    return {name: float(np.median(v)) for name, v in seconds.items()}, digests


def timed_prefetches(view, as_of: int, calls: int) -> tuple[dict[str, float], dict[str, str]]:
    """``sesame_reasons_kernel``'s median CPU seconds at each distance of :data:`PREFETCHES`, and its outputs' digests."""
    import numpy as np

    from scorers import sesame as S
    from scorers._kernels import person_events, reason_lut, run_on_ties, sesame_kernel, sesame_reasons_kernel
    from scorers.protocol import MAX_REASONS

    cpu = time.process_time
    ev = person_events(view, as_of, since=as_of - 24 + 1)  # Sesame's default window
    capacities, identities = S._capacities_identities(view.people)
    own, top_idx, top_val = ev.run(
        sesame_kernel, repaid_code=S._REPAID, neg_w=S._CREDIT_NEGATIVE, bw=S._BEHAVIOUR_POINTS, costly=S._COSTLY,
        neutral=S.NEUTRAL, capacity=capacities, identity=identities, w=S._WEIGHTS, span=S._SPAN, k=MAX_REASONS,
        min_cost=S._MIN_COST)

    def call(ahead: int):
        return run_on_ties(
            view, sesame_reasons_kernel, people_first=ev.people_first, own=own, top_idx=top_idx, top_val=top_val,
            neutral=S.NEUTRAL, weight=S.WEIGHTS["relationships"], score_min=S.SCORE_MIN, span=S._SPAN,
            bounds=S._BOUNDS, n_labels=len(S.REASON_LABELS), k=MAX_REASONS, min_cost=S._MIN_COST,
            lut=reason_lut(len(S.REASON_LABELS), MAX_REASONS), prefetch_ties=ahead)

    digests = {f"ahead {d}": output_digest(call(d)) for d in PREFETCHES}
    seconds: dict[str, list[float]] = {name: [] for name in digests}
    for _ in range(calls):
        for d in PREFETCHES:
            t0 = cpu()
            call(d)
            seconds[f"ahead {d}"].append(cpu() - t0)
    return {name: float(np.median(v)) for name, v in seconds.items()}, digests


def measure(
    people: int, calls: int, seed: int, layout: str, small: int = 0, small_calls: int = 0, kernels: bool = False,
    prefetch: bool = False,
) -> dict:
    """CPU ns per person (median of ``calls``) and frame digest of each scorer, in this process.

    ``layout`` "person" scores the batch as generated (events grouped by
    person); "month" with its events in month order, as a month of dynamics
    hands them to a scorer (the kernels then regroup them).
    """
    import numpy as np

    from audit.engine.chunks import reuse_freed_memory
    from audit.population.model import Population, PopulationView
    from scorers.registry import load_scorer

    reuse_freed_memory()  # as a run's worker does
    pop = Population.synthesize("china-2020", size=people, seed=seed)
    view, as_of = pop.view(), pop.horizon_months - 1
    if layout == "month":
        by_month = np.argsort(view.events["month"].to_numpy(), kind="stable")
        view = PopulationView(people=view.people, events=view.events.iloc[by_month].reset_index(drop=True),
                              ties=view.ties, horizon_months=view.horizon_months)
    scorers = {name: load_scorer(name) for name in SCORERS}
    seconds, digests = timed_calls(scorers, view, as_of, calls)
    us_small, small_digests = measure_small(scorers, view, as_of, small, small_calls) if small else ({}, {})
    kernel_seconds, kernel_digests = timed_kernels(view, as_of, calls) if kernels else ({}, {})
    prefetch_seconds, prefetch_digests = timed_prefetches(view, as_of, calls) if prefetch else ({}, {})
    return {
        "ns": {name: v / people * 1e9 for name, v in seconds.items()},
        "ns_kernels": {name: v / people * 1e9 for name, v in kernel_seconds.items()},
        "kernel_digests": kernel_digests,
        "ns_prefetch": {name: v / people * 1e9 for name, v in prefetch_seconds.items()},
        "prefetch_digests": prefetch_digests,
        "us_small": us_small,
        "small_digests": small_digests,
        "digests": digests,
        "events": len(view.events),
        "ties": len(view.ties),
    }


# ----------------------------------------------------------------------------- the comparison


def run_tree(tree: Path, args: argparse.Namespace) -> dict:
    """:func:`measure` in a fresh process with ``PYTHONPATH`` at ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--people", str(args.people),
           "--calls", str(args.calls), "--seed", str(args.seed), "--layout", args.layout,
           "--small", str(args.small), "--small-calls", str(args.small_calls)] + (["--kernels"] if args.kernels else []) + (["--prefetch"] if args.prefetch else [])
    out = subprocess.run(cmd, env=env, cwd=str(tree), capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"scoring in {tree} failed ({out.returncode}):\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])




def _ns(run: dict, name: str, key: str = "ns") -> float:
    """CPU figure ``key`` of scorer ``name`` in one process's figures (``"all four"``, ``"all"``: their sum)."""
    return sum(run[key].values()) if name in ("all four", "all") else run[key][name]


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", type=Path, help="another source tree (e.g. a worktree of main) to compare with")
    ap.add_argument("--people", type=int, default=1_048_576, help="people in the batch (default 1,048,576, a run's batch)")
    ap.add_argument("--repeats", type=int, default=5, help="processes per tree, interleaved (default 5)")
    ap.add_argument("--calls", type=int, default=5, help="timed calls per scorer in each process; the median is kept (default 5)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--layout", choices=("person", "month"), default="person",
                    help="events grouped by person as generated (default), or in month order as dynamics hands them")
    ap.add_argument("--small", type=int, default=0,
                    help="also time calls on this many of the batch's people (a re-scored sample's view); 0: no")
    ap.add_argument("--small-calls", type=int, default=51, help="timed small calls per scorer; the median is kept (default 51)")
    ap.add_argument("--kernels", action="store_true",
                    help="also time each compiled kernel called alone on the batch (median of --calls)")
    ap.add_argument("--prefetch", action="store_true",
                    help="also time Sesame's tie kernel at each prefetch distance (this tree only; median of --calls)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.people, args.calls, args.seed, args.layout, args.small, args.small_calls,
                                 args.kernels, args.prefetch)))
        return
    if args.prefetch and args.against is not None:
        raise SystemExit("--prefetch times distances within this tree: drop --against (another tree's kernel "
                         "may not take prefetch_ties)")
    sys.path.insert(0, str(HERE))
    from scale import machine  # bench/scale.py

    trees = {"this tree": TREE}
    if args.against is not None:
        trees["other tree"] = args.against.resolve()
    print(f"{machine()}\nload average before: {_load()}")
    print(f"{args.people:,} china-2020 people (seed {args.seed}), events in {args.layout} order, "
          f"{args.repeats} repeats x {args.calls} calls per scorer; "
          "CPU ns per person (user + system, process_time), median of the calls")
    for label, tree in trees.items():
        print(f"  {label}: {tree}")
    results: dict[str, list[dict]] = {label: [] for label in trees}
    for r in range(args.repeats):
        order = list(trees) if r % 2 == 0 else list(reversed(trees))
        for label in order:
            results[label].append(run_tree(trees[label], args))
    first = results["this tree"][0]
    print(f"  {first['events']:,} events, {first['ties']:,} ties")
    if "other tree" in results:
        for key in ("digests", "small_digests", "kernel_digests"):
            differ = [s for s in first[key] if first[key][s] != results["other tree"][0][key].get(s)]
            if differ:
                raise SystemExit(f"the two trees' score frames ({key}) differ for {differ}")
        print("  score frames identical in both trees (scores' bits, tiers, sanctions, reasons, index, columns, dtypes)")
    _table(results, "ns", f"CPU ns per person, {args.people:,} people")
    if args.small:
        _table(results, "us_small", f"CPU microseconds per call on {args.small:,} people")
    if args.kernels:
        _table(results, "ns_kernels", f"CPU ns per person of each kernel alone, {args.people:,} people", KERNELS)
    if args.prefetch:
        _prefetch_table(results["this tree"], args.people)
    print(f"load average after: {_load()}")


def _prefetch_table(runs: list[dict], people: int) -> None:
    """Per prefetch distance: the range of CPU ns per person and of the ratio to no prefetching (per process)."""
    for run in runs:
        if len(set(run["prefetch_digests"].values())) != 1:
            raise SystemExit(f"sesame_reasons_kernel's outputs differ between prefetch distances: {run['prefetch_digests']}")
    print(f"CPU ns per person of sesame_reasons_kernel by ties prefetched ahead, {people:,} people "
          "(outputs identical at every distance)")
    print(f"{'distance':18s} {'this tree':>14s} {'/ ahead 0':>14s}")
    for d in PREFETCHES:
        ns = [run["ns_prefetch"][f"ahead {d}"] for run in runs]
        ratio = [run["ns_prefetch"][f"ahead {d}"] / run["ns_prefetch"]["ahead 0"] for run in runs]
        print(f"{'ahead ' + str(d):18s} {span(ns, '.1f'):>14s} {span(ratio, '.2f'):>14s}")


def _table(results: dict[str, list[dict]], key: str, title: str, names: tuple[str, ...] = SCORERS) -> None:
    """One line per scorer (or kernel) and for all together: the range of figure ``key`` in each tree and of their ratio."""
    print(title)
    header = f"{'scorer':18s} {'this tree':>14s}"
    if "other tree" in results:
        header += f" {'other tree':>14s} {'this / other':>14s}"
    print(header)
    for name in (*names, "all four" if names == SCORERS else "all"):
        ours = [_ns(run, name, key) for run in results["this tree"]]
        line = f"{name:18s} {span(ours, '.1f'):>14s}"
        if "other tree" in results:
            theirs = [_ns(run, name, key) for run in results["other tree"]]
            ratio = [a / b for a, b in zip(ours, theirs)]
            line += f" {span(theirs, '.1f'):>14s} {span(ratio, '.2f'):>14s}"
        print(line)


if __name__ == "__main__":
    main()
