"""Benchmark: CPU per person of generating a synthetic population, this tree against another checkout.

Usage::

    git worktree add /tmp/scs-main main              # the code to compare with (any checkout)
    python bench/generate.py --baseline /tmp/scs-main                    # 4e6 people of china-2020, 5 repeats
    python bench/generate.py --baseline /tmp/scs-main --size 2e6 --repeats 3
    python bench/generate.py                                              # this tree alone

Each measurement is a fresh process with one tree first on ``PYTHONPATH``: it
loads the spec and the compiled kernels, draws one block to warm up, then
generates the population chunk by chunk as a run's ``generate`` stage does
(``PopulationSource.chunk``: the draw, the frames and the ties' in-degree cap;
chunks of ``--chunk-size`` people, each dropped after it is drawn, with the
run's allocator setting, ``reuse_freed_memory``) and reports the CPU seconds
(user + system, all threads, psutil) of that loop alone, per person. The two trees alternate, which one goes first swapping
from repeat to repeat, so a change in the machine's load falls on both; the
ratio of each repeat and the range over repeats are printed with the load
average before and after (the machine may be shared: compare CPU and ratios,
not wall time). After the timed loop each process hashes every column of
every chunk: equal hashes say the two trees drew the same population.

Never run in tests. Needs psutil: ``pip install -e ".[bench]"``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OURS = HERE.parent

_CHILD = r"""
import hashlib, json, sys, time
import numpy as np, psutil
from audit.engine.chunks import reuse_freed_memory
from audit.population.source import PopulationSource
from audit.population.spec import load_spec

spec_name, size, seed, chunk_size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
spec = load_spec(spec_name)
reuse_freed_memory()  # as a run's chunk loop does
PopulationSource(spec=spec, size=1 << 16, seed=seed + 1).chunk((0, 1))  # warm: kernels loaded, work arrays sized
source = PopulationSource(spec=spec, size=size, seed=seed)
plan = source.chunk_plan(chunk_size)
me = psutil.Process()
before, wall = me.cpu_times(), time.perf_counter()
for blocks in plan:
    source.chunk(blocks)
after, wall = me.cpu_times(), time.perf_counter() - wall
digest = hashlib.sha256()
for blocks in plan:  # not timed: the population's fingerprint
    population = source.chunk(blocks)
    for frame in (population.people, population.events, population.ties):
        for name in frame.columns:
            column = frame[name]
            values = column.cat.codes if column.dtype == "category" else column
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(values.to_numpy()).tobytes())
cpu = (after.user - before.user) + (after.system - before.system)
print(json.dumps({"cpu": cpu, "wall": wall, "sha256": digest.hexdigest()}))
"""


def machine() -> str:
    import numpy as np
    import psutil

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{psutil.cpu_count()} cores ({cpu}), {psutil.virtual_memory().total / 2**30:.0f} GiB RAM, "
            f"Python {platform.python_version()}, numpy {np.__version__}, {platform.system()} {platform.release()}")


def load() -> str:
    """The load average (1, 5, 15 minutes)."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


def measure(tree: Path, *, spec: str, size: int, seed: int, chunk_size: int) -> dict[str, float | str]:
    """CPU and wall seconds of generating the population in a fresh process importing ``tree``, and its hash."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, spec, str(size), str(seed), str(chunk_size)],
        env=env, cwd=tree, capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"generating with the code in {tree} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _range(values: list[float], fmt: str = "{:.0f}") -> str:
    return f"{fmt.format(min(values))}-{fmt.format(max(values))}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="a checkout of the code to compare with (e.g. a worktree of main)")
    parser.add_argument("--spec", default="china-2020")
    parser.add_argument("--size", type=float, default=4e6, help="people (default 4e6)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chunk-size", type=float, default=1e6, help="people per chunk, as a run's --chunk-size")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    size, chunk_size = int(args.size), int(args.chunk_size)
    trees = {"this tree": OURS} | ({"baseline": args.baseline.resolve()} if args.baseline else {})

    print(f"generation of {size:,} people of {args.spec!r} (seed {args.seed}, chunks of {chunk_size:,}), "
          f"CPU ns per person; {machine()}")
    print(f"before: {load()}")
    cpu: dict[str, list[float]] = {name: [] for name in trees}
    hashes: dict[str, set[str]] = {name: set() for name in trees}
    ratios: list[float] = []
    for repeat in range(args.repeats):
        order = list(trees) if repeat % 2 == 0 else list(trees)[::-1]
        row = {}
        for name in order:
            got = measure(trees[name], spec=args.spec, size=size, seed=args.seed, chunk_size=chunk_size)
            row[name] = got["cpu"] / size * 1e9
            cpu[name].append(row[name])
            hashes[name].add(str(got["sha256"]))
        line = "  ".join(f"{name} {row[name]:.0f}" for name in trees)
        if args.baseline:
            ratios.append(row["this tree"] / row["baseline"])
            line += f"  ratio {ratios[-1]:.3f}"
        print(f"repeat {repeat + 1}: {line}  ({load()})", flush=True)
    print(f"after: {load()}")
    for name in trees:
        print(f"{name}: {_range(cpu[name])} CPU ns per person over {args.repeats} repeats ({trees[name]})")
    if args.baseline:
        print(f"ratio this tree / baseline: {_range(ratios, '{:.3f}')}")
        same = len(hashes["this tree"] | hashes["baseline"]) == 1
        print("populations: " + ("identical (equal hashes of every column)" if same else "DIFFERENT"))


if __name__ == "__main__":
    main()
