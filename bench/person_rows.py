"""Benchmark: finding a few people's rows in a batch, by search or through the offset table.

Usage::

    python bench/person_rows.py                # people 731, 4,182 and 30,000 of one batch, 7 repeats
    python bench/person_rows.py --people 731,30000 --repeats 9
    PYTHONPATH=/tmp/base python bench/person_rows.py   # the id_runs of another tree (run the two alternately)

One batch of the 1.4e9 run (1,048,576 people of ``china-2020``, about 5.4
million events and 5 million ties, sorted by person) and, for each count of
people (the ground-truth sample of a batch, that sample with its friends, a
large replay pool), a random set of them; thread CPU in milliseconds of their
rows in the events and ties tables found by two binary searches per person
(:func:`audit.population.columns.rows_with_ids`), by
:func:`audit.engine.batch_kernels.id_runs` (what
:meth:`audit.engine.person_rows.PersonRows.rows_of` does below its threshold:
searches in lockstep; in trees before 7 December 2026 one interpolated search
per person) and by the offset table (its one counting pass, then the gather).
Each repeat draws other people and first writes 64 MiB elsewhere, so the
tables are out of the processor's caches as they are in a run, where the
scorers' and audits' work in between has evicted them. Prints the range over
the repeats, the lookups alternating, and checks every answer equal. Never
run in tests.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from audit.engine.batch_kernels import id_runs, run_offsets
from audit.engine.chunks import reuse_freed_memory
from audit.population.columns import rows_with_ids, unique_ids
from audit.population.source import open_source

COUNTRY = 1_400_000_000


def _runs_to_rows(first: np.ndarray, count: np.ndarray) -> np.ndarray:
    keep = count > 0
    lo, n = first[keep], count[keep]
    start = np.repeat(lo - np.concatenate(([0], np.cumsum(n)[:-1])), n)
    return (start + np.arange(start.size)).astype(np.intp)


def _thread_ms(fn: Callable[..., np.ndarray], *args: object) -> tuple[float, np.ndarray]:
    t0 = time.thread_time()
    out = fn(*args)
    return (time.thread_time() - t0) * 1e3, out


def _binary(column: np.ndarray, wanted: np.ndarray, ids: np.ndarray) -> np.ndarray:
    return rows_with_ids(column, wanted, presorted=True)


def _id_runs(column: np.ndarray, wanted: np.ndarray, ids: np.ndarray) -> np.ndarray:
    return _runs_to_rows(*id_runs(column, wanted))


def _through_table(column: np.ndarray, wanted: np.ndarray, ids: np.ndarray) -> np.ndarray:
    first, count = run_offsets(column, int(ids[0]), ids.size)
    rows = wanted - ids[0]
    return _runs_to_rows(first[rows], count[rows])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", default="731,4182,30000", help="people looked up, comma-separated")
    ap.add_argument("--repeats", type=int, default=7, help="timed repeats of each lookup (default 7)")
    args = ap.parse_args()
    reuse_freed_memory()  # as a worker does (audit.engine.chunks.run_chunk): the table's arrays are not faulted in anew
    source = open_source("china-2020", size=COUNTRY, seed=0)
    pop = source.chunk(source.chunk_plan(1_048_576)[1])
    ids = pop.people["person_id"].to_numpy()
    rng = np.random.default_rng(0)
    print(f"one batch: {ids.size:,} people, {len(pop.events):,} events, {len(pop.ties):,} ties; thread CPU ms, "
          f"range over {args.repeats} repeats")
    print(f"{'table':<8}{'people':>8}{'binary searches':>18}{'id_runs':>16}{'offset table':>16}")
    evict = np.zeros(64 << 20, dtype=np.uint8)
    for table in ("events", "ties"):
        column = getattr(pop, table)["person_id"].to_numpy()
        _id_runs(column, unique_ids(ids[:2]), ids)  # load the compiled kernels for this column's type before timing
        run_offsets(column[:10], int(column[0]), 10)
        for k in (int(float(x)) for x in args.people.split(",")):
            lookups = {"binary": _binary, "id_runs": _id_runs, "table": _through_table}
            times: dict[str, list[float]] = {name: [] for name in lookups}
            for _ in range(args.repeats):
                wanted = unique_ids(rng.choice(ids, k, replace=False))
                answers = []
                for name, lookup in lookups.items():
                    evict += 1  # the column out of cache, as in a run
                    ms, out = _thread_ms(lookup, column, wanted, ids)
                    times[name].append(ms)
                    answers.append(out)
                assert all(np.array_equal(answers[0], a) for a in answers[1:])
            cells = "".join(f"{min(v):>9.2f}-{max(v):<6.2f}" for v in times.values())
            print(f"{table:<8}{k:>8,} {cells}")


if __name__ == "__main__":
    main()
