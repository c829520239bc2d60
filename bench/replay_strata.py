"""Benchmark: the replay strata's compiled passes over one batch, this tree against another.

Usage::

    python bench/replay_strata.py                        # this tree, 5 fresh processes
    python bench/replay_strata.py --before /tmp/base --repeats 5

One batch of the 1.4e9 run (1,048,576 people of ``china-2020``, about 5.4
million events) scored by the four reference scorers; thread CPU in
milliseconds (median of 9 calls in a process) of each pass of
:mod:`audit.replay.strata_kernels` as :mod:`audit.replay.strata` calls it:
who has a penalty by the audited month (once per batch), each scorer's
strata and their sizes, and each scorer's replay sample (the ``k`` smallest
hashes of each stratum), summed over the four scorers; and each scorer's
replay pool gathered from the batch (:meth:`audit.replay.pool.ReplayPool.gather`:
the sampled people's rows, events, ties and friends), summed likewise. With ``--before DIR``
each repeat runs this tree and then that one in fresh processes; the ratios
are taken process by process. Never run in tests.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import time
from pathlib import Path

from alternating import alternate, span  # bench/alternating.py: bench/ is first on sys.path

HERE = Path(__file__).resolve().parent
COUNTRY = 1_400_000_000


def child() -> None:
    """In a fresh process: JSON of each pass's milliseconds on one batch."""
    import numpy as np

    from audit.engine.contract import sanctioned_mask, score_checked
    from audit.population.source import open_source
    from audit.replay import strata
    from audit.replay.strata_kernels import bottom_k_rows, stratum_codes
    from audit.runner import resolve_scorers, unique_labels

    source = open_source("china-2020", size=COUNTRY, seed=0)
    pop = source.chunk(source.chunk_plan(1_048_576)[1])
    as_of = pop.horizon_months - 1
    view = pop.view()
    u = strata.hashes(0, pop.people["person_id"].to_numpy())
    k = strata.stratum_targets(2000)
    penalised = strata._penalised(pop, as_of)
    hinted = len(inspect.signature(bottom_k_rows).parameters) == 4  # the kernel takes the strata's sizes
    calls = []
    for _, scorer in unique_labels(resolve_scorers(None)):
        sanctioned = sanctioned_mask(scorer, score_checked(scorer, view, as_of=as_of))
        codes, sizes = stratum_codes(sanctioned, penalised, 3, strata.SANCTIONED, strata.PENALISED, strata.REST)
        args = (u, codes, k, sizes) if hinted else (u, codes, k)
        calls.append((sanctioned, args))

    def ms(f) -> float:
        times = []
        for _ in range(9):
            t0 = time.thread_time()
            f()
            times.append(time.thread_time() - t0)
        return float(np.median(times)) * 1e3

    gathers = _scored_chunks(pop)

    out = {
        "penalised people (once a batch)": ms(lambda: strata._penalised(pop, as_of)),
        "strata and sizes (4 scorers)": sum(
            ms(lambda s=s: stratum_codes(s, penalised, 3, strata.SANCTIONED, strata.PENALISED, strata.REST))
            for s, _ in calls
        ),
        "replay sample (4 scorers)": sum(ms(lambda a=a: bottom_k_rows(*a)) for _, a in calls),
    }
    if gathers:
        out["replay pool gather (4 scorers)"] = sum(ms(lambda g=g: g()) for g in gathers)
    print(json.dumps(out))


def _scored_chunks(pop):
    """One call per scorer gathering its replay pool of ``pop`` (the chunk's sample drawn and memoised first)."""
    from audit.engine.contract import AuditOptions, ScoredChunk, score_checked
    from audit.engine.person_rows import PersonRows
    from audit.population.groups import layout_for
    from audit.replay.pool import ReplayPool
    from audit.replay.sample import sampled_rows
    from audit.runner import resolve_scorers, unique_labels
    from scorers.protocol import scorer_tags

    options = AuditOptions(population_size=COUNTRY)
    layout = layout_for((), spec=pop.spec)
    as_of = pop.horizon_months - 1
    view = pop.view()
    cells = layout.encode(pop.people)
    batch = PersonRows(population=pop)
    calls = []
    for label, scorer in unique_labels(resolve_scorers(None)):
        chunk = ScoredChunk(population=pop, view=view, scorer=scorer, label=label,
                            frame=score_checked(scorer, view, as_of=as_of), cells=cells, layout=layout,
                            options=options, as_of=as_of, person_rows=batch)
        rows = sampled_rows(chunk)
        friends = bool(scorer_tags(scorer).uses_ties)
        calls.append(lambda c=chunk, r=rows, f=friends: ReplayPool.gather(c, r, with_friends=f))
    return calls


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5, help="fresh processes per tree (default 5)")
    p.add_argument("--before", type=Path, default=None, help="also run the package tree at this directory")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child()
        return
    trees = [("current", HERE.parent)] + ([("before", args.before)] if args.before is not None else [])
    print(f"command: python bench/{Path(__file__).name} {' '.join(sys.argv[1:])}".rstrip())
    got, loads = alternate(__file__, trees, args.repeats)
    print(
        f"one batch of 1,048,576 people; thread CPU ms (median of 9 calls), ranges over {args.repeats} fresh "
        f"processes per tree, trees alternating; load average (1 min) {min(loads):.1f}-{max(loads):.1f}"
    )
    for name in got["current"][0]:
        cols = [f"{tree} {span([r[name] for r in runs], '.2f'):>11}" for tree, runs in got.items()]
        line = f"    {name:<32} " + "   ".join(cols)
        if args.before is not None:
            ratios = [b[name] / a[name] for a, b in zip(got["current"], got["before"], strict=True)]
            line += f"   before / current {span(ratios, '.2f')}x"
        print(line)


if __name__ == "__main__":
    main()
