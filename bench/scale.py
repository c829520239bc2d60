"""Benchmark: country scale — CPU of the whole process tree, ns per person by stage, peak memory, 1.4e9 projection.

Usage::

    python bench/scale.py --only b                 # end to end at 4e6, 1.6e7 and 6.4e7 people, 3 repeats each
    python bench/scale.py --only b --sizes 1e6,4e6 --repeats 2
    python bench/scale.py --huge                   # peak memory also at 1e8 people
    python bench/scale.py --quick                  # 1e6 only, once: a smoke run
    python bench/scale.py --only f --before /tmp/base   # per-batch audit collection, this tree against a copy of another

Prints, in one run, with the machine (cores, CPU, memory, versions) and its
load average before and after (the machine may be shared: CPU seconds and
ratios are the figures to compare, not wall time):

(a) group statistics (income quintile, education, their intersection) for
    1e6 and 1e7 rows: ours (streamed, ``bench/disparity.py``) beside
    fairlearn's ``MetricFrame`` on the same data and the bare numpy
    ``bincount`` floor;
(b) end to end, ``scs-audit run --epsilon 1`` with all four reference scorers,
    every default audit, DP publication and the report, on every core: wall
    seconds and CPU seconds of the command and all its workers (sampled with
    psutil: the shell's ``time`` misses the workers, which are the
    forkserver's children), CPU ns per person, ranges over repeats; the
    stages' seconds (``results.json`` "seconds", summed over workers) per
    person at the largest size; the marginal CPU per person between the two
    largest sizes and the projection to 1.4e9 people on every core;
(c) peak memory of those runs: proportional set size (PSS) summed over the
    command and its worker processes (``--huge`` adds 1e8);
(d) the projection for 1.4e9 people: CPU per person of the real run's chunk
    loop (its first chunks, every core, the process tree sampled), times 1.4e9,
    plus the fixed cost of a run (a 4e6-person run's CPU, from (b) when it
    ran that size, less its people at the chunk loop's rate), over the cores;
    also the main process's share and its CPU per chunk (it merges every
    finished chunk into the run's totals, on the cores the workers need);
(e) the batch size inside a chunk: people per second and CPU seconds of one core on one chunk
    of the 1.4e9 run for several batch sizes (medians of three, interleaved);
(f) the audits' per-batch collection: thread CPU of each audit's ``collect``
    for the four scorers of one batch (1,048,576 people) of the 1.4e9 run, ns
    per person, generation and scoring left out; with ``--before DIR`` the same
    measured on the package tree at DIR (e.g. a checkout of the code before a
    change), the two trees alternating in fresh processes, and the ratio.

Never run in tests. Needs psutil: ``pip install -e ".[bench]"``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Self

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # bench/disparity.py

from alternating import span  # noqa: E402  (bench/alternating.py, found through the line above)

COUNTRY = 1_400_000_000
SCORERS = ("suining", "rongcheng", "joint_punishment", "sesame")


def machine() -> str:
    import psutil

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{psutil.cpu_count()} cores ({cpu}), {psutil.virtual_memory().total / 2**30:.0f} GiB RAM, "
            f"Python {platform.python_version()}, numpy {np.__version__}, {platform.system()} {platform.release()}")


# ----------------------------------------------------------------------------- (a) group statistics


def group_statistics(sizes: list[int]) -> None:
    import disparity as bd  # bench/disparity.py

    print("\n(a) group statistics: income quintile, education, intersection — seconds wall (CPU)")
    print(f"{'rows':>12} {'ours':>16} {'numpy floor':>16} {'fairlearn':>18} {'ours/floor':>11} {'fairlearn/floor':>16} {'max |diff|':>10}")
    warm = bd.make_data(10_000)
    bd.ours(warm, 5_000, bootstrap=0)
    bd.fairlearn(warm)
    bd.floor(warm)
    for n in sizes:
        df = bd.make_data(n)
        (t_ours, c_ours), section = bd.timed(bd.ours, df, 1_000_000, bootstrap=0)
        (t_floor, c_floor), _ = bd.timed(bd.floor, df)
        (t_fl, c_fl), fl = bd.timed(bd.fairlearn, df)
        diff = bd.check(section, fl)
        print(f"{n:>12,} {t_ours:>8.3f}s ({c_ours:.3f}) {t_floor:>8.3f}s ({c_floor:.3f}) {t_fl:>9.2f}s ({c_fl:.2f}) "
              f"{t_ours / t_floor:>10.1f}x {t_fl / t_floor:>15,.0f}x {diff:>10.1e}", flush=True)


# ----------------------------------------------------------------------------- (b, c) end to end: CPU, stages, memory


class ProcessTree:
    """Samples a process and all its descendants: CPU seconds per process, and the largest PSS sum seen.

    The shell's ``time`` (and ``getrusage``) miss the workers: they are children
    of the forkserver, not of the command. Each process's CPU (user + system) is
    read every ``every`` seconds (PSS every fifth time) and the last reading kept, so a process that
    ends between two readings loses at most ``every`` seconds of CPU. PSS
    (proportional set size) splits pages shared between processes, so the sum
    over the tree counts every page once.
    """

    def __init__(self, pid: int, every: float = 0.1, *, memory: bool = True) -> None:
        import psutil

        self._root = psutil.Process(pid)
        self.every = every
        self.memory = memory
        self.peak = 0
        self.cpu: dict[int, float] = {}
        self._before: dict[int, float] = {}
        """CPU each process had already used when sampling began (the root may be this very process)."""
        self.processes = 0
        self.roles: dict[int, str] = {}
        """What each process is: the command (the root), the forkserver, a worker (the forkserver's children), other."""
        self.sampler_cpu = 0.0
        """CPU seconds of the sampling thread itself, left out of the root's when the root is this process."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self, memory: bool) -> None:
        import psutil

        try:
            procs = [self._root, *self._root.children(recursive=True)]
        except psutil.Error:
            return
        total = 0
        for p in procs:
            try:
                with p.oneshot():
                    t = p.cpu_times()
                    self.cpu[p.pid] = t.user + t.system
                    if p.pid not in self.roles:
                        self.roles[p.pid] = self._role(p)
                    if memory:
                        total += p.memory_full_info().pss
            except psutil.Error:
                pass
        self.peak = max(self.peak, total)
        self.processes = max(self.processes, len(self.cpu))

    def _run(self) -> None:
        tick = 0
        start = time.thread_time()
        while not self._stop.is_set():
            # PSS reads every page table entry (/proc/PID/smaps): every 5th reading only, so the
            # sampler's own CPU stays small beside the run's on a 2-core machine
            self._sample(self.memory and tick % 5 == 0)
            tick += 1
            # listing the tree reads every process's /proc entry: on a busy machine that is tens of
            # milliseconds of this process's CPU a reading, which is the benchmark's, not the run's
            self.sampler_cpu = time.thread_time() - start
            self._stop.wait(self.every)

    def _role(self, p) -> str:
        if p.pid == self._root.pid:
            return "command"
        command = " ".join(p.cmdline())
        if "forkserver" in command and p.ppid() == self._root.pid:
            return "forkserver"
        if self.roles.get(p.ppid()) == "forkserver":
            return "worker"
        return "other"

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu_by_role().values())

    def cpu_by_role(self) -> dict[str, float]:
        """CPU seconds of the command, the forkserver, the workers (summed) and any other process.

        When the root is this very process, the sampling thread's own CPU is left out of the command's.
        """
        out: dict[str, float] = {}
        for pid, c in self.cpu.items():
            role = self.roles.get(pid, "other")
            out[role] = out.get(role, 0.0) + c - self._before.get(pid, 0.0)
        if self._root.pid == os.getpid() and "command" in out:
            out["command"] = max(0.0, out["command"] - self.sampler_cpu)
        return out

    def __enter__(self) -> Self:
        self._sample(False)
        self._before = dict(self.cpu)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample(False)  # the processes still alive: their CPU up to now


def cli_run(size: int, scorers: tuple[str, ...] = (), *, extra: tuple[str, ...] = (), memory: bool = True) -> dict:
    """``scs-audit run --epsilon 1`` in a subprocess: wall and CPU seconds, peak PSS, its stage seconds."""
    exe = Path(sys.executable).with_name("scs-audit")
    with tempfile.TemporaryDirectory(prefix="scs-bench-") as out:
        # --epsilon 1: the default audit publishes its differentially private figures too
        cmd = [str(exe), "run", "--size", str(size), "--out", out, "--quiet", "--epsilon", "1", *extra]
        for s in scorers:
            cmd += ["--scorer", s]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        with ProcessTree(proc.pid, memory=memory) as tree:
            _, err = proc.communicate()
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err}")
        seconds = json.loads((Path(out) / "results.json").read_text())["seconds"]
    return {"wall": wall, "cpu": tree.cpu_seconds, "peak": tree.peak, "seconds": seconds, "processes": tree.processes}


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def end_to_end(sizes: list[int], repeats: int, *, memory_only: list[int] = ()) -> dict[int, list[float]]:
    """CPU of the process tree, ns per person by stage, peak memory, and the 1.4e9 projection from the slope."""
    cores = os.cpu_count() or 1
    print(f"\n(b) end to end: scs-audit run --epsilon 1, all four scorers, every default audit, DP publication, report; "
          f"{cores} workers; {repeats} repeats, ranges over them")
    print("(c) CPU seconds of the command and every worker (psutil, sampled every 0.1 s); peak memory: PSS summed over them")
    print(f"{'people':>14} {'wall s':>12} {'CPU s':>12} {'CPU ns/person':>14} {'peak GiB':>11}  load before")
    cpu: dict[int, list[float]] = {}
    stages: dict[int, list[dict[str, float]]] = {}
    for n in sizes:
        runs = []
        for _ in range(repeats):
            load = _load()
            runs.append(cli_run(n, SCORERS))
            print(f"{'':>14} {'':>12} {'':>12} {'':>14} {'':>11}  ({load}) run {len(runs)}: "
                  f"{runs[-1]['cpu']:.1f} CPU s", flush=True)
        cpu[n] = [r["cpu"] for r in runs]
        stages[n] = [r["seconds"] for r in runs]
        print(f"{n:>14,} {span([r['wall'] for r in runs], '.1f'):>12} {span(cpu[n], '.1f'):>12} "
              f"{span([c / n * 1e9 for c in cpu[n]], ',.0f'):>14} {span([r['peak'] / 2**30 for r in runs], '.2f'):>11}",
              flush=True)
    for n in memory_only:
        r = cli_run(n, SCORERS)
        print(f"{n:>14,} {r['wall']:>12.1f} {r['cpu']:>12.1f} {r['cpu'] / n * 1e9:>14,.0f} {r['peak'] / 2**30:>11.2f}", flush=True)
    big = max(sizes)
    print(f"\n    where a person's time goes at {big:,} people (ns per person by stage, summed over workers; "
          "'finalize' is wall time in the main process):")
    keys = sorted({k for s in stages[big] for k in s}, key=lambda k: -float(np.median([s.get(k, 0.0) for s in stages[big]])))
    for k in keys:
        vals = [s.get(k, 0.0) / big * 1e9 for s in stages[big]]
        if max(vals) >= 1:
            print(f"      {k:<28} {span(vals, ',.0f'):>12}")
    if len(sizes) >= 2:
        small = sorted(sizes)[-2]
        slopes = [(b - a) / (big - small) * 1e9 for a in cpu[small] for b in cpu[big]]
        minutes = [(b + s * 1e-9 * (COUNTRY - big)) / cores / 60 for b in cpu[big] for s in slopes]
        print(f"\n    marginal CPU per person between {small:,} and {big:,} people: {span(slopes, ',.0f')} ns")
        print(f"    projected for {COUNTRY:,} people: {span(minutes, ',.1f')} minutes with {cores} cores fully used "
              "(CPU at the larger size plus the marginal cost of the rest, divided by the cores; meaningful only "
              "where the cost is linear, above about 1.6e7 people: below, the fixed-size samples cover a shrinking share)")
    return cpu


# ----------------------------------------------------------------------------- (d) projection


def projection(chunks: int, fixed_cpu: list[float] | None = None, *, loop_only: bool = False) -> None:
    """CPU per person of the 1.4e9 run's chunk loop, plus the fixed cost of a run, projected to all 1.4e9 people.

    ``loop_only``: the chunk loop alone (its CPU per person and by stage), without the fixed-cost run and the projection.
    """
    from audit.engine.contract import AuditOptions
    from audit.engine.executors import ChunkTask, default_workers, make_executor, run_chunk
    from audit.engine.streaming import RunTotals, absorb
    from audit.population.groups import layout_for
    from audit.population.source import open_source
    from audit.runner import RunConfig, default_audits, resolve_scorers, unique_labels

    config = RunConfig(size=COUNTRY)
    source = open_source(config.population, size=COUNTRY, seed=0)
    options = AuditOptions(population_size=COUNTRY)
    labelled = unique_labels(resolve_scorers(None))
    audits = default_audits(options)
    layout = layout_for((), spec=source.spec)
    plan = source.chunk_plan(config.chunk_size)
    workers = default_workers()
    tasks = [ChunkTask(source=source, blocks=b, scorers=tuple(labelled), audits=tuple(audits), layout=layout, options=options)
             for b in plan[:chunks]]
    totals = RunTotals()
    load = _load()
    with ProcessTree(os.getpid(), memory=False) as tree:  # this process, the forkserver and the workers
        with make_executor("local", workers=workers, n_chunks=len(tasks)) as ex:
            t0 = time.perf_counter()
            merging = 0.0
            for task, out in ex.imap_unordered(run_chunk, iter(tasks)):
                m0 = time.thread_time()
                absorb(totals, out, task.blocks[0])
                merging += time.thread_time() - m0
            loop = time.perf_counter() - t0
    per_person = tree.cpu_seconds / totals.people
    # The replay pools, the ground-truth sample and the attribution sample have fixed sizes: what a run costs
    # beyond its chunk loop does not grow with the population. Measured as a whole run of FIXED_PEOPLE (whose
    # samples already have the country run's sizes) less its people at the chunk loop's cost per person.
    if loop_only:
        fixed_cpu = []
    elif not fixed_cpu:
        fixed_cpu = [cli_run(FIXED_PEOPLE, SCORERS, memory=False)["cpu"]]
    fixed = [max(0.0, c - FIXED_PEOPLE * per_person) for c in fixed_cpu]
    minutes = [(COUNTRY * per_person + f) / workers / 60 for f in fixed]
    print(f"\n(d) 1.4e9 projection: the first {len(tasks)} chunks ({totals.people:,} people) of the 1.4e9-person run, "
          f"{workers} workers, all four scorers, every default audit (load before: {load})")
    print(f"    chunk loop: {loop:.1f} s wall, {tree.cpu_seconds:.1f} CPU s -> {per_person * 1e9:,.0f} CPU ns per person")
    roles = tree.cpu_by_role()
    main_cpu = roles.get("command", 0.0)
    marginal = (roles.get("worker", 0.0) + main_cpu) / totals.people
    print("    by process: " + ", ".join(
        f"{name} {roles[role]:.1f} CPU s ({roles[role] / totals.people * 1e9:,.0f} ns per person)"
        for role, name in (("worker", "the workers"), ("command", "this process"),
                           ("forkserver", "the forkserver (imports and the kernels' preload, once a run)"),
                           ("other", "other")) if role in roles))
    print(f"    left out: this benchmark's own sampling of the process tree, {tree.sampler_cpu:.1f} CPU s")
    # the main process merges every finished chunk into the run's totals, on the cores the workers need
    print(f"    this process: {main_cpu / len(tasks):.3f} CPU s per chunk, {main_cpu / tree.cpu_seconds:.1%} of the tree's; "
          f"merging chunks (absorb, its thread's CPU): {merging:.2f} s ({merging / len(tasks):.3f} per chunk)")
    print(f"    per person beyond the run's start-up (workers and this process; the forkserver's start-up left out): "
          f"{marginal * 1e9:,.0f} CPU ns")
    if fixed:
        print(f"    fixed cost of a run (a {FIXED_PEOPLE:,}-person run's CPU less its people at that rate): "
              f"{span(fixed, ',.0f')} CPU s")
        print(f"    projected for {COUNTRY:,} people on {workers} fully used cores: {span(minutes, ',.1f')} minutes")
    stages = sorted(totals.seconds.items(), key=lambda kv: -kv[1])
    total = sum(totals.seconds.values())
    shares = ", ".join(f"{k} {v / total:.0%}" for k, v in stages if v > 0)
    print(f"    where a person's time goes (shares of the stages' seconds, summed over workers): {shares}")
    by_stage = ", ".join(f"{k} {per_person * 1e9 * v / total:,.0f}" for k, v in stages if v / total >= 0.005)
    print(f"    CPU ns per person by stage (the chunk loop's CPU split by those shares): {by_stage}")


# ----------------------------------------------------------------------------- (e) batch size


def batch_sweep(sizes: tuple[int, ...] = (131_072, 262_144, 524_288, 1_048_576), repeats: int = 3) -> None:
    """People per second of one core on one 2-million-person chunk of the 1.4e9 run, per batch size."""
    from dataclasses import replace

    from audit.engine.contract import AuditOptions
    from audit.engine.executors import ChunkTask, reuse_freed_memory, run_chunk
    from audit.population.groups import layout_for
    from audit.population.source import open_source
    from audit.runner import default_audits, resolve_scorers, unique_labels

    reuse_freed_memory()
    source = open_source("china-2020", size=COUNTRY, seed=0)
    options = AuditOptions(population_size=COUNTRY)
    audits = tuple(default_audits(options))
    layout = layout_for((), spec=source.spec)
    plan = source.chunk_plan(2_000_000)
    base = ChunkTask(source=source, blocks=plan[1], scorers=tuple(unique_labels(resolve_scorers(None))),
                     audits=audits, layout=layout, options=options)
    run_chunk(replace(base, blocks=plan[0]))  # warm: compiled kernels, caches
    print("\n(e) batch size: one core, one 2-million-person chunk of the 1.4e9 run, every default audit")
    rates: dict[int, list[float]] = {b: [] for b in sizes}
    cpu: dict[int, list[float]] = {b: [] for b in sizes}
    for _ in range(repeats):  # interleaved, so a burst of load on the machine hits every size alike
        for b in sizes:
            t0, c0 = time.perf_counter(), time.process_time()
            out = run_chunk(replace(base, batch_size=b))
            rates[b].append(out.people / (time.perf_counter() - t0))
            cpu[b].append(time.process_time() - c0)
    best = max(float(np.median(r)) for r in rates.values())
    for b, r in rates.items():
        med = float(np.median(r))
        print(f"    batch {b:>9,}: {med:>11,.0f} people/s (median of {repeats}), {med / best:.2f} of the best; "
              f"CPU seconds of the chunk {span(cpu[b], '.2f')}")


# ----------------------------------------------------------------------------- (f) per-batch audit collection


#: The part of the disparity audit (f) also times alone: its per-batch group tables (``frame_counts``).
TABLES = "(its tables)"
#: The first pass of those tables, also timed alone: the range and step of the rounded scores (``score_range``).
SCORE_RANGE = "(score range)"
#: Parts of an audit, shown under it and left out of the total.
PARTS = (TABLES, SCORE_RANGE)


def collect_child(passes: int) -> None:
    """In a child process: JSON of each audit's thread CPU seconds per pass over one batch (medians of ``passes``)."""
    from audit.aggregate import SCORE_DECIMALS
    from audit.disparity.audit import frame_counts
    from audit.disparity.cell_kernels import score_range
    from audit.engine.chunks import reuse_freed_memory
    from audit.engine.contract import AuditOptions, ScoredChunk, score_checked
    from audit.engine.person_rows import PersonRows
    from audit.population.groups import layout_for
    from audit.population.source import open_source
    from audit.runner import default_audits, resolve_scorers, unique_labels

    reuse_freed_memory()  # as a worker does (audit.engine.chunks.run_chunk)
    source = open_source("china-2020", size=COUNTRY, seed=0)
    options = AuditOptions(population_size=COUNTRY)
    audits = tuple(default_audits(options))
    layout = layout_for((), spec=source.spec)
    pop = source.chunk(source.chunk_plan(1_048_576)[1])
    scorers = unique_labels(resolve_scorers(None))
    as_of = pop.horizon_months - 1
    view, cells = pop.view(), layout.encode(pop.people)
    frames = {label: score_checked(s, view, as_of=as_of) for label, s in scorers}

    def one_pass() -> dict[str, float]:
        rows = PersonRows(population=pop)  # a fresh batch: nothing shared from the pass before
        spent: dict[str, float] = {}
        for label, scorer in scorers:
            chunk = ScoredChunk(population=pop, view=view, scorer=scorer, label=label, frame=frames[label], cells=cells,
                                layout=layout, options=options, as_of=as_of, person_rows=rows)
            for audit in audits:
                t0 = time.thread_time()
                audit.collect(chunk)
                spent[audit.name] = spent.get(audit.name, 0.0) + time.thread_time() - t0
            t0 = time.thread_time()  # the disparity audit's group tables alone, once more: a part, not in the total
            frame_counts(frames[label], scorer, cells=cells, n_cells=layout.n_cells)
            spent[TABLES] = spent.get(TABLES, 0.0) + time.thread_time() - t0
            scores = np.ascontiguousarray(frames[label]["score"].to_numpy(), dtype=np.float64)
            t0 = time.thread_time()
            score_range(scores, float(10**SCORE_DECIMALS))
            spent[SCORE_RANGE] = spent.get(SCORE_RANGE, 0.0) + time.thread_time() - t0
        return spent

    one_pass()  # warm: compiled kernels loaded, allocator primed
    runs = [one_pass() for _ in range(passes)]
    print(json.dumps({"people": len(pop), "seconds": {k: float(np.median([r[k] for r in runs])) for k in runs[0]}}))


def _collect_in(tree: Path, passes: int) -> dict:
    """:func:`collect_child` in a fresh process importing the package from ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--collect-child", str(passes)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, cwd=tree)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} (PYTHONPATH={tree}) failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def audit_collection(repeats: int, before: Path | None, passes: int = 3) -> None:
    """Thread CPU per person of each audit's per-batch collection, this tree against ``before``, interleaved."""
    trees = [("current", HERE.parent)] + ([("before", before)] if before is not None else [])
    print(f"\n(f) per-batch audit collection: one batch of 1,048,576 people of the 1.4e9 run, the four scorers; thread "
          f"CPU of each audit's collect, ns per person (median of {passes} passes in each of {repeats} fresh processes "
          "per tree, trees alternating); ranges over the processes")
    got: dict[str, list[dict]] = {name: [] for name, _ in trees}
    loads = []
    for _ in range(repeats):
        for name, tree in trees:
            loads.append(os.getloadavg()[0])
            got[name].append(_collect_in(tree, passes))
    names = [k for k in got["current"][0]["seconds"] if k not in PARTS]
    parts = [k for k in PARTS if all(k in r["seconds"] for runs in got.values() for r in runs)]
    names[names.index("disparity") + 1:names.index("disparity") + 1] = parts  # shown under the audit they are part of
    totals = {name: [sum(v for k, v in r["seconds"].items() if k not in PARTS) / r["people"] * 1e9 for r in runs]
              for name, runs in got.items()}
    for audit in [*names, "total"]:
        cols = []
        for name, runs in got.items():
            ns = totals[name] if audit == "total" else [r["seconds"][audit] / r["people"] * 1e9 for r in runs]
            cols.append(f"{name} {span(ns, ',.1f'):>13}")
        print(f"    {audit:<14} " + "   ".join(cols))
    if before is not None:
        for audit in names:  # each audit's ratio too: the trees ran one right after the other, so load cancels best here
            pairs = zip(got["current"], got["before"], strict=True)
            ratios = [b["seconds"][audit] / a["seconds"][audit] for a, b in pairs if a["seconds"][audit] > 0]
            if ratios and max(r["seconds"][audit] for r in got["current"]) / got["current"][0]["people"] * 1e9 >= 1:
                print(f"    before / current ({audit}, process by process): {span(ratios, '.2f')}x")
        ratios = [b / a for a, b in zip(totals["current"], totals["before"], strict=True)]
        print(f"    before / current (total, process by process): {span(ratios, '.2f')}x; "
              f"load average (1 min) during: {min(loads):.1f}-{max(loads):.1f}")


#: People in the run that measures a run's fixed cost (large enough that every default sample is full size).
FIXED_PEOPLE = 4_000_000


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="4e6,1.6e7,6.4e7",
                   help="people in the end-to-end runs (b), comma-separated (default 4e6,1.6e7,6.4e7)")
    p.add_argument("--repeats", type=int, default=3, help="end-to-end runs per size (default 3)")
    p.add_argument("--huge", action="store_true", help="also measure peak memory at 1e8 people (one run)")
    p.add_argument("--quick", action="store_true", help="1e6 people only, once: a smoke run")
    p.add_argument("--chunks", type=int, default=20, help="chunks of the 1.4e9 run timed for (d) (default 20)")
    p.add_argument("--only", choices=("a", "b", "d", "e", "f"), default=None, help="run one part only ((b) includes (c))")
    p.add_argument("--before", type=Path, default=None,
                   help="(f): also measure the package tree at this directory (e.g. the code before a change)")
    p.add_argument("--loop-only", action="store_true",
                   help="(d): the chunk loop alone, without the fixed-cost run and the projection")
    p.add_argument("--collect-child", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--batches", default="131072,262144,524288,1048576",
                   help="batch sizes compared by (e), comma-separated (default 131072,262144,524288,1048576)")
    args = p.parse_args()
    if args.collect_child is not None:  # (f)'s measuring process
        collect_child(args.collect_child)
        return
    sizes = [1_000_000] if args.quick else [int(float(x)) for x in args.sizes.split(",")]
    repeats = 1 if args.quick else args.repeats
    print(f"machine: {machine()}")
    print(f"command: python bench/{Path(__file__).name} {' '.join(sys.argv[1:])}".rstrip())
    print(f"load average before: {_load()} ({os.cpu_count()} cores)")
    if args.only in (None, "a"):
        group_statistics([1_000_000] if args.quick else [1_000_000, 10_000_000])
    cpu: dict[int, list[float]] = {}
    if args.only in (None, "b"):
        cpu = end_to_end(sizes, repeats, memory_only=[100_000_000] if args.huge else [])
    if args.only in (None, "d"):
        projection(4 if args.quick else args.chunks, cpu.get(FIXED_PEOPLE), loop_only=args.loop_only)
    if args.only in (None, "e"):
        batch_sweep(tuple(int(float(b)) for b in args.batches.split(",")), repeats=1 if args.quick else 3)
    if args.only in (None, "f"):
        audit_collection(1 if args.quick else args.repeats, args.before)
    print(f"\nload average after: {_load()} ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
