"""Benchmark: CPU per person of generating a synthetic population, this tree against another checkout.

Usage::

    git worktree add /tmp/scs-main main       # the code to compare with (any checkout of this repository)
    python bench/generate.py --baseline /tmp/scs-main                 # 4e6 people of china-2020, 5 repeats
    python bench/generate.py --baseline /tmp/scs-main --size 2e6 --repeats 3
    python bench/generate.py                                           # this tree alone
    python bench/generate.py --size 1e6 --repeats 7 --draws            # and each kind of draw, numpy vs compiled
    python bench/generate.py --baseline /tmp/scs-main --kernels        # and each compiled loop and block stage, in place

One process per tree, each with that tree first on ``PYTHONPATH``: it loads
the spec and the compiled kernels and draws one block to warm up, then
generates the population's chunks on request as a run's ``generate`` stage
does (``PopulationSource.chunk``: the draw, the frames and the ties'
in-degree cap, with the run's allocator setting, ``reuse_freed_memory``;
chunks of ``--chunk-size`` people, each dropped once drawn), reporting the
CPU seconds (user + system, all its threads, psutil) of each chunk alone.
The trees take turns chunk by chunk, which goes first swapping each time, so
a change in the machine's load falls on both; a repeat is the whole
population. Printed: CPU ns per person of each tree per repeat, their ratio,
ranges and medians over repeats, the load average throughout (the machine
may be shared: compare CPU and ratios, not wall time), and whether the two
trees drew the same population (a hash of every column of every chunk,
drawn after the timed repeats).

Never run in tests. Needs psutil: ``pip install -e ".[bench]"``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OURS = HERE.parent
sys.path[:0] = [str(HERE), str(OURS)]  # bench/scale.py, and this tree's package for --draws

_CHILD = r"""
import hashlib, json, sys, time
import numpy as np, psutil
from audit.engine.chunks import reuse_freed_memory
from audit.population.source import PopulationSource
from audit.population.spec import load_spec
from audit.population.synth import blocks, draw_kernels, event_kernels, tie_kernels
try:
    from audit.population.synth import follow_kernels
except ImportError:  # a tree from before the follow-up kernels
    follow_kernels = None

spent = {}  # CPU seconds of the main thread in each compiled loop, while a "kernels" request draws a chunk
timing = False


def timed(module, name):  # a kernel the generator calls through its module, wrapped to time each call
    kernel = getattr(module, name)

    def call(*args, **kwargs):
        if not timing:
            return kernel(*args, **kwargs)
        before = time.thread_time()
        try:
            return kernel(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.thread_time() - before

    setattr(module, name, call)


# the kernels the generator calls from Python (no compiled code calls these, so wrapping them changes no compiled loop),
# and the stages of a block (Python functions looked up in their module at each call; each includes the kernels and
# numpy calls it makes, so they overlap the kernels' figures)
for module, names in ((event_kernels, event_kernels.__all__), (tie_kernels, tie_kernels.__all__),
                      (follow_kernels, getattr(follow_kernels, "__all__", ())),
                      (draw_kernels, ("_uniforms", "_normals", "_betas", "_bounded16", "_bounded32", "_poissons")),
                      (blocks, ("draw_people", "block_events", "write_sorted_events", "_ties"))):
    for name in names:
        if hasattr(module, name):  # a tree may lack a kernel the other has
            timed(module, name)

spec_name, size, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
spec = load_spec(spec_name)
reuse_freed_memory()  # as a run's chunk loop does
PopulationSource(spec=spec, size=1 << 16, seed=seed + 1).chunk((0, 1))  # warm: kernels loaded, work arrays sized
source = PopulationSource(spec=spec, size=size, seed=seed)
me = psutil.Process()
print("ready", flush=True)
for line in sys.stdin:  # "chunk FIRST END": CPU seconds of drawing it; "hash FIRST END": its fingerprint;
    what, first, end = line.split()  # "kernels FIRST END": CPU seconds in each compiled loop while drawing it
    blocks = (int(first), int(end))
    if what == "kernels":
        spent.clear()
        timing = True
        source.chunk(blocks)
        timing = False
        print(json.dumps(spent), flush=True)
    elif what == "chunk":
        before = me.cpu_times()
        source.chunk(blocks)
        after = me.cpu_times()
        print((after.user - before.user) + (after.system - before.system), flush=True)
    else:
        digest = hashlib.sha256()
        population = source.chunk(blocks)
        for frame in (population.people, population.events, population.ties):
            for name in frame.columns:
                column = frame[name]
                values = column.cat.codes if column.dtype == "category" else column
                digest.update(name.encode())
                digest.update(np.ascontiguousarray(values.to_numpy()).tobytes())
        print(digest.hexdigest(), flush=True)
"""


class Generator:
    """A process generating the population with the code of one tree, a chunk at a time on request."""

    def __init__(self, tree: Path, *, spec: str, size: int, seed: int) -> None:
        self.tree = tree
        self.process = subprocess.Popen(
            [sys.executable, "-c", _CHILD, spec, str(size), str(seed)], env=dict(os.environ, PYTHONPATH=str(tree)),
            cwd=tree, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        self._answer()  # ready

    def _answer(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"generating with the code in {self.tree} failed (its error is above)")
        return line.strip()

    def ask(self, what: str, blocks: tuple[int, int]) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{what} {blocks[0]} {blocks[1]}\n")
        self.process.stdin.flush()
        return self._answer()

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


def load() -> str:
    """The load average (1, 5, 15 minutes)."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


def _range(values: list[float], fmt: str = "{:.0f}") -> str:
    return f"{fmt.format(min(values))}-{fmt.format(max(values))}"


def draws(repeats: int) -> None:
    """CPU ns per number of numpy's ``Generator`` methods beside the same draws made in compiled code.

    The compiled draws are :mod:`audit.population.synth.draw_kernels`' (the
    generator's PCG64 stepped in compiled code), each inside one
    :class:`~audit.population.synth.draw_kernels.Draws` block as a generation
    block makes them; 65,536 numbers a call (a block), the two ways
    interleaved, minimum and median over repeats.
    """
    import numpy as np

    from audit.population.synth.draw_kernels import Draws

    n, calls = 1 << 16, 40
    out, months, friends = np.empty(n), np.empty(n, np.int16), np.empty(n, np.int64)
    rng = np.random.default_rng(0)

    def compiled(draw):  # one Draws block a call, as a generation block holds one
        def call():
            with Draws(rng) as held:
                draw(held)
        return call

    pairs = {
        "standard normal": (lambda: rng.standard_normal(n, out=out), compiled(lambda d: d.standard_normals(out))),
        "uniform": (lambda: rng.random(n, out=out), compiled(lambda d: d.uniforms(out))),
        "beta(8, 2)": (lambda: rng.beta(8.0, 2.0, n), compiled(lambda d: d.betas(8.0, 2.0, out))),
        "int16 in [0, 36)": (lambda: rng.integers(0, 36, n, dtype=np.int16), compiled(lambda d: d.integers(0, 36, months))),
        "int64 in [0, 24)": (lambda: rng.integers(0, 24, n), compiled(lambda d: d.integers(0, 24, friends))),
    }
    for numpy_call, compiled_call in pairs.values():
        numpy_call()
        compiled_call()  # compiled before timing
    print(f"\nrandom draws, CPU ns per number ({n:,} a call, min and median of {repeats} repeats; {load()})")
    for name, ways in pairs.items():
        spent: list[list[float]] = [[], []]
        for _ in range(repeats):
            for which, call in enumerate(ways):
                before = time.process_time()
                for _ in range(calls):
                    call()
                spent[which].append((time.process_time() - before) / calls / n * 1e9)
        (a, b) = (f"{min(v):.2f} / {statistics.median(v):.2f}" for v in spent)
        print(f"{name:>16}: numpy {a}   compiled {b}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="a checkout of the code to compare with (e.g. a worktree of main)")
    parser.add_argument("--spec", default="china-2020")
    parser.add_argument("--size", type=float, default=4e6, help="people (default 4e6)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chunk-size", type=float, default=1e6, help="people per chunk, as a run's --chunk-size")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--draws", action="store_true", help="also time single kinds of random draw, numpy vs compiled")
    parser.add_argument("--kernels", action="store_true", help="also time each compiled loop and block stage in place, per tree")
    args = parser.parse_args()
    size, chunk_size = int(args.size), int(args.chunk_size)
    from scale import machine  # bench/scale.py

    from audit.population.synth import chunk_ranges

    plan = chunk_ranges(size, chunk_size)
    trees = {"this tree": OURS} | ({"baseline": args.baseline.resolve()} if args.baseline else {})

    print(f"generation of {size:,} people of {args.spec!r} (seed {args.seed}, {len(plan)} chunks of up to "
          f"{chunk_size:,}), CPU ns per person; {machine()}")
    print(f"before: {load()}")
    makers = {name: Generator(tree, spec=args.spec, size=size, seed=args.seed) for name, tree in trees.items()}
    cpu: dict[str, list[float]] = {name: [] for name in trees}
    ratios: list[float] = []
    for repeat in range(args.repeats):
        spent = dict.fromkeys(trees, 0.0)
        for i, blocks in enumerate(plan):  # chunk by chunk, each tree in turn, the first swapping
            for name in (list(trees) if (repeat + i) % 2 == 0 else list(trees)[::-1]):
                spent[name] += float(makers[name].ask("chunk", blocks))
        row = {name: spent[name] / size * 1e9 for name in trees}
        for name in trees:
            cpu[name].append(row[name])
        line = "  ".join(f"{name} {row[name]:.0f}" for name in trees)
        if args.baseline:
            ratios.append(row["this tree"] / row["baseline"])
            line += f"  ratio {ratios[-1]:.3f}"
        print(f"repeat {repeat + 1}: {line}  ({load()})", flush=True)
    print(f"after: {load()}")
    if args.kernels:  # the same processes, warm: their chunks' columns reuse memory as a run's do
        kernel_rows = kernels(makers, plan, args.repeats, size)
    hashes = {name: [makers[name].ask("hash", blocks) for blocks in plan] for name in trees}
    for maker in makers.values():
        maker.close()
    for name in trees:
        print(f"{name}: {_range(cpu[name])} CPU ns per person, median {statistics.median(cpu[name]):.0f}, "
              f"over {args.repeats} repeats ({trees[name]})")
    if args.baseline:
        print(f"ratio this tree / baseline: {_range(ratios, '{:.3f}')}, median {statistics.median(ratios):.3f}")
        same = hashes["this tree"] == hashes["baseline"]
        print("populations: " + ("identical (equal hashes of every column of every chunk)" if same else "DIFFERENT"))
    if args.kernels:
        print("\n".join(kernel_rows))
    if args.draws:
        draws(args.repeats)


def kernels(makers: dict[str, Generator], plan: list[tuple[int, int]], repeats: int, size: int) -> list[str]:
    """CPU ns per person in each compiled loop of generation, per tree, in place (``--kernels``); the lines to print.

    Each process times every call of the compiled kernels (and compiled
    draws) the generator makes while it draws a chunk (the thread's CPU time
    around the call: ``time.thread_time``), the trees taking turns chunk by
    chunk as above; a repeat is the whole population. Printed per kernel: the
    range over repeats of each tree, and of their ratio. In place, not alone:
    the kernels' inputs and outputs come and go from the caches as in a run.
    """
    import json

    names = list(makers)
    per: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for repeat in range(repeats):
        spent: dict[str, dict[str, float]] = {name: {} for name in names}
        for i, blocks in enumerate(plan):
            for name in (names if (repeat + i) % 2 == 0 else names[::-1]):
                for kernel, seconds in json.loads(makers[name].ask("kernels", blocks)).items():
                    spent[name][kernel] = spent[name].get(kernel, 0.0) + seconds
        for name in names:
            per[name].append({kernel: seconds / size * 1e9 for kernel, seconds in spent[name].items()})
    lines = [f"\ncompiled loops and block stages (each including what it calls) in place, CPU ns per person (thread time; ranges over {repeats} repeats; {load()})"]
    kernel_names = sorted({k for rows in per.values() for row in rows for k in row},
                          key=lambda k: -statistics.median(row.get(k, 0.0) for row in per[names[0]]))
    for kernel in kernel_names:
        cells = [f"{name} {_range([row.get(kernel, 0.0) for row in per[name]], '{:.1f}')}" for name in names]
        line = f"{kernel:>16}: " + "  ".join(cells)
        if len(names) == 2:
            ratios = [a.get(kernel, 0.0) / b[kernel] for a, b in zip(*per.values()) if b.get(kernel)]
            if ratios:
                line += f"  ratio {_range(ratios, '{:.2f}')} (median {statistics.median(ratios):.2f})"
        lines.append(line)
    return lines


if __name__ == "__main__":
    main()
