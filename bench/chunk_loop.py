"""Benchmark: the chunk loop in one process, by stage, this tree against another.

Usage::

    python bench/chunk_loop.py                               # 4 chunks, 3 fresh processes
    python bench/chunk_loop.py --chunks 4 --repeats 3 --before /tmp/base

One process runs the first chunk of the 1.4e9 run as a warm-up (compiled
kernels loaded, allocator primed), then the next ``--chunks`` chunks of
1,048,576 people (``run_chunk``, as a worker does, every default audit and the
four reference scorers); it reports the CPU of those calls (``time.process_time``) per person
and each stage's seconds per person as the chunks record them
(``generate``, ``score:<label>``, ``audit:<name>``), and how many bytes each
chunk's output pickles to (what a worker sends back), and the CPU the main
process spends on each result as a run's does (unpickling it, saving it to
a checkpoint store in a temporary folder, merging it, the next task's
cut-offs), reported apart from the chunk's own CPU. As a run does, the
chunks are merged as they finish and each is sent the replay cut-offs of
those merged before it (:func:`audit.replay.pool.replay_cutoffs`; a tree
without them runs without). With ``--before DIR``
(another copy of the package, e.g. ``git archive`` of the commit before a
change) each repeat runs this tree and then that one, each in a fresh
process, so both see the machine's load of the same minutes; the ratios are
taken process by process. Never run in tests.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pickle
import sys
import tempfile
import time
from pathlib import Path

from alternating import alternate, span  # bench/alternating.py: bench/ is first on sys.path

HERE = Path(__file__).resolve().parent
COUNTRY = 1_400_000_000


def child(chunks: int) -> None:
    """In a fresh process: JSON of the loop's CPU seconds, people and seconds by stage."""
    from dataclasses import replace

    from audit.engine.contract import AuditOptions
    from audit.engine.executors import ChunkTask, reuse_freed_memory, run_chunk
    from audit.population.groups import layout_for
    from audit.population.source import open_source
    from audit.runner import default_audits, resolve_scorers, unique_labels

    reuse_freed_memory()  # as a worker does
    source = open_source("china-2020", size=COUNTRY, seed=0)
    options = AuditOptions(population_size=COUNTRY)
    plan = source.chunk_plan(1_000_000)
    base = ChunkTask(
        source=source,
        blocks=plan[0],
        scorers=tuple(unique_labels(resolve_scorers(None))),
        audits=tuple(default_audits(options)),
        layout=layout_for((), spec=source.spec),
        options=options,
    )
    from audit.engine.checkpoint import ChunkStore
    from audit.engine.streaming import RunTotals, absorb

    # a tree with replay cut-offs tells each chunk those of the chunks merged so far, as a run does; an older one not
    replay_cutoffs = getattr(importlib.import_module("audit.replay.pool"), "replay_cutoffs", None)
    totals = RunTotals()
    absorb(totals, run_chunk(base), plan[0][0])  # warm-up
    cpu = 0.0  # the chunks' own CPU: run_chunk alone, the main process's share is reported apart
    people = 0
    seconds: dict[str, float] = {}
    sent: list[int] = []
    main: dict[str, float] = {}  # what the main process does with each result, CPU seconds summed over the chunks
    with tempfile.TemporaryDirectory(prefix="scs-chunk-loop-") as folder:
        store = ChunkStore(folder, "bench")
        for blocks in plan[1 : 1 + chunks]:
            task = replace(base, blocks=blocks)
            t_cut = time.process_time()
            if replay_cutoffs is not None:
                task = replace(task, replay_cutoffs=tuple(replay_cutoffs(totals.merged).items()))
            t_run = time.process_time()
            out = run_chunk(task)
            cpu += time.process_time() - t_run
            people += out.people
            for stage, s in out.seconds.items():
                seconds[stage] = seconds.get(stage, 0.0) + s
            blob = pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL)
            sent.append(len(blob))
            t_main = time.process_time()
            out = pickle.loads(blob)
            t_loaded = time.process_time()
            store.save(blocks[0], out)
            t_saved = time.process_time()
            absorb(totals, out, blocks[0])
            t_merged = time.process_time()
            for stage, s in (("cut-offs", t_run - t_cut), ("unpickle", t_loaded - t_main),
                             ("save", t_saved - t_loaded), ("merge", t_merged - t_saved)):
                main[stage] = main.get(stage, 0.0) + s
    print(json.dumps({"cpu": cpu, "people": people, "seconds": seconds, "sent": sent, "main": main, "chunks": chunks}))


def _seconds(run: dict, stage: str) -> float:
    """The process's CPU seconds (``stage`` "process CPU") or a stage's seconds in one measured process."""
    return float(run["cpu"]) if stage == "process CPU" else float(run["seconds"].get(stage, 0.0))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--chunks", type=int, default=4, help="chunks timed after the warm-up (default 4)")
    p.add_argument("--repeats", type=int, default=3, help="fresh processes per tree (default 3)")
    p.add_argument("--before", type=Path, default=None, help="also run the package tree at this directory")
    p.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child is not None:
        child(args.child)
        return
    trees = [("current", HERE.parent)] + ([("before", args.before)] if args.before is not None else [])
    print(f"command: python bench/{Path(__file__).name} {' '.join(sys.argv[1:])}".rstrip())
    got, loads = alternate(__file__, trees, args.repeats, str(args.chunks))
    print(
        f"{args.chunks} chunks of the 1.4e9 run in one process after a warm-up; CPU ns per person, ranges over "
        f"{args.repeats} fresh processes per tree, trees alternating; load average (1 min) {min(loads):.1f}-{max(loads):.1f}"
    )
    stages = sorted(got["current"][0]["seconds"], key=lambda k: -got["current"][0]["seconds"][k])
    for stage in ["process CPU", *stages]:
        cols = []
        for name, runs in got.items():
            ns = [_seconds(r, stage) / r["people"] * 1e9 for r in runs]
            cols.append(f"{name} {span(ns, ',.0f'):>13}")
        line = f"    {stage:<24} " + "   ".join(cols)
        if args.before is not None:
            pairs = zip(got["current"], got["before"], strict=True)
            ratios = [_seconds(b, stage) / _seconds(a, stage) for a, b in pairs if _seconds(a, stage) > 0]
            if ratios:
                line += f"   before / current {span(ratios, '.2f')}x"
        print(line)
    print("  the main process, CPU ms per chunk (as a run's main process handles each result):")
    for stage in ("unpickle", "save", "merge", "cut-offs"):
        cols = [f"{name} {span([r.get('main', {}).get(stage, 0.0) / r['chunks'] * 1e3 for r in runs], '.1f'):>11}"
                for name, runs in got.items()]
        print(f"    {stage:<24} " + "   ".join(cols))
    print("  what each chunk sends back (its output pickled), MiB, chunk by chunk (the first process of each tree):")
    for name, runs in got.items():
        print(f"    {name:<8} " + " ".join(f"{b / 2**20:.2f}" for b in runs[0].get("sent", [])))


if __name__ == "__main__":
    main()
