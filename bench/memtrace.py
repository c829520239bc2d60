"""Benchmark: where peak memory is reached — the whole process tree sampled, each process's stage at the peak.

Usage::

    python bench/memtrace.py --size 1e6                 # one run of ``scs-audit run --epsilon 1``
    python bench/memtrace.py --size 1e6,4e6 --repeats 2
    python bench/memtrace.py --size 4e6 -- --workers 1  # anything after ``--`` goes to ``scs-audit run``
    python bench/memtrace.py --size 1e6 --growth 8      # also: which stages raised each process's high-water mark
    python bench/memtrace.py --size 1e6 --no-probe      # the same sums without the stage probe (no stages)
    PYTHONPATH=/path/to/other/tree python bench/memtrace.py --size 4e6   # the command from another copy of the code

Runs ``scs-audit run --size N --epsilon 1 --quiet`` (every registered scorer,
every default audit) in a child process and samples its whole process tree
(the command, the forkserver and the workers: psutil) every ``--every``
seconds: the resident set (RSS) and the proportional set size (PSS, from
``/proc/PID/smaps_rollup``, which splits pages shared between processes, so
the sum counts each page once) of every process, summed, and the CPU seconds of
every process (the tree's total: the workers are the forkserver's children,
which the shell's ``time`` misses). It prints the peak of each sum, when it
happened, and every process's share at that moment with the stage it was in;
the peak of the PSS sum in each phase of the run (setting up, the chunk loop,
finalizing, the report: told apart by the command's stage);
``--growth N`` adds, per process, the N stages in which its high-water mark
grew most.

The stage comes from inside each process: the child is started with this
script's directory of stage probes first on ``PYTHONPATH`` (a
``sitecustomize`` module, written to a temporary directory, which Python
imports at start-up in the command, the forkserver and, through
``os.register_at_fork``, every worker). The probe's thread reads its process's
main-thread stack every ``--every`` seconds and appends each change of stage,
the innermost project frames (``audit/``, ``scorers/``) as
``module.function`` joined by ``<``, with its time, to a file per process. The
run itself is the unchanged command; the probe only reads stacks, and lets go
of the frame it read before it sleeps (until 8 December 2026 it held it, which
kept a returned function's arrays alive and put a 1e8-person run's peak at
1.34-1.43 GiB where it is 1.15). ``--no-probe`` runs the command without the
probe, for checking that it changes nothing it measures.

Never run in tests. Needs psutil: ``pip install -e ".[bench]"``.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

SCORERS = ("suining", "rongcheng", "joint_punishment", "sesame")

# The probe every process of the run imports at start-up (as ``sitecustomize``); it only reads stacks.
PROBE = r'''
import os, sys, threading, time

_DIR = os.environ.get("SCS_MEMTRACE_DIR")
_EVERY = float(os.environ.get("SCS_MEMTRACE_EVERY", "0.02"))
_DEPTH = 3


def _stage(frame):
    names = []
    while frame is not None and len(names) < _DEPTH:
        path = frame.f_code.co_filename.replace(os.sep, "/")
        for root in ("/audit/", "/scorers/"):
            at = path.rfind(root)
            if at >= 0:
                module = path[at + 1:].removesuffix(".py").replace("/", ".")
                names.append(f"{module}.{frame.f_code.co_name}")
                break
        frame = frame.f_back
    return " < ".join(names) or "-"


def _watch(main_ident):
    path = os.path.join(_DIR, f"{os.getpid()}.stages")
    last = None
    with open(path, "a", buffering=1) as out:
        out.write(f"{time.time():.3f}\t@argv {' '.join(sys.argv)[:200]}\n")
        while True:
            frame = sys._current_frames().get(main_ident)
            stage = _stage(frame)
            # never hold a frame while sleeping: a frame that returned in the meantime would keep its locals
            # (a batch's arrays) alive, and the run's memory would be measured higher than it is
            del frame
            if stage != last:
                out.write(f"{time.time():.3f}\t{stage}\n")
                last = stage
            time.sleep(_EVERY)


def _start():
    threading.Thread(target=_watch, args=(threading.main_thread().ident,), name="memtrace-probe", daemon=True).start()


if _DIR:
    _start()
    os.register_at_fork(after_in_child=_start)
'''


@dataclass
class Sample:
    t: float
    rss: dict[int, int]
    pss: dict[int, int]


@dataclass
class Trace:
    samples: list[Sample] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)
    parents: dict[int, int] = field(default_factory=dict)
    cpu: dict[int, float] = field(default_factory=dict)
    """Last CPU seconds (user + system) read of each process."""


def _pss(pid: int) -> int:
    """Proportional set size of a process in bytes (``/proc/PID/smaps_rollup``); 0 where unreadable."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _sample_tree(root_pid: int, trace: Trace, every: float, stop: threading.Event) -> None:
    import psutil

    root = psutil.Process(root_pid)
    while not stop.is_set():
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            break
        rss: dict[int, int] = {}
        pss: dict[int, int] = {}
        for p in procs:
            try:
                rss[p.pid] = p.memory_info().rss
                t = p.cpu_times()
                trace.cpu[p.pid] = t.user + t.system
                if p.pid not in trace.names:
                    trace.names[p.pid] = " ".join(p.cmdline())[:120]
                    trace.parents[p.pid] = p.ppid()
            except psutil.Error:
                continue
            pss[p.pid] = _pss(p.pid)
        trace.samples.append(Sample(time.time(), rss, pss))
        stop.wait(every)


def _stages(folder: Path) -> dict[int, list[tuple[float, str]]]:
    out: dict[int, list[tuple[float, str]]] = {}
    for f in folder.glob("*.stages"):
        rows = []
        for line in f.read_text().splitlines():
            t, _, stage = line.partition("\t")
            if not stage.startswith("@argv"):
                rows.append((float(t), stage))
        out[int(f.stem)] = rows
    return out


def _stage_at(rows: list[tuple[float, str]], t: float) -> str:
    stage = "(no probe)"
    for at, s in rows:
        if at > t:
            break
        stage = s
    return stage


#: Phases of a run, told apart by the command's stage: setting up (checks, probing the scorers), the chunk
#: loop, finalizing (the audits' finalize in the workers, replays included), writing the report.
PHASES = ("setting up", "chunks", "finalizing", "report")


def _phase_starts(command_stages: list[tuple[float, str]]) -> dict[str, float]:
    """When each phase began: the command's first stage in the chunk stream, in finalizing, and after it."""
    starts = {PHASES[0]: -math.inf}
    chunks = next((t for t, st in command_stages if "streaming" in st), None)
    final = next((t for t, st in command_stages if "finalize" in st), None)
    if chunks is not None:
        starts["chunks"] = chunks
    if final is not None:
        starts["finalizing"] = final
        last = max((t for t, st in command_stages if "finalize" in st), default=final)
        after = next((t for t, st in command_stages if t > last), None)
        if after is not None:
            starts["report"] = after
    return starts


def _role(pid: int, root: int, trace: Trace) -> str:
    """What a process of the tree is: the command, its forkserver, a worker (a child of the forkserver)."""
    name = trace.names.get(pid, "")
    if pid == root:
        return "command"
    if "forkserver" in name and trace.parents.get(pid) == root:
        return "forkserver"
    if "resource_tracker" in name:
        return "resource tracker"
    return "worker"


def run_once(size: int, extra: list[str], every: float, probe: bool = True) -> dict:
    exe = Path(sys.executable).with_name("scs-audit")
    with tempfile.TemporaryDirectory(prefix="scs-memtrace-") as tmp:
        probe_dir, out = Path(tmp) / "probe", Path(tmp) / "out"
        probe_dir.mkdir()
        (probe_dir / "sitecustomize.py").write_text(PROBE)
        paths = [str(Path(p).resolve()) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        env = dict(os.environ, SCS_MEMTRACE_DIR=str(probe_dir), SCS_MEMTRACE_EVERY=str(every),
                   PYTHONPATH=os.pathsep.join([str(probe_dir), *paths] if probe else paths))
        cmd = [str(exe), "run", "--size", str(size), "--out", str(out), "--quiet", "--epsilon", "1", *extra]
        if not any(a.startswith("--scorer") for a in extra):
            for s in SCORERS:
                cmd += ["--scorer", s]
        load = os.getloadavg()
        t0 = time.time()
        # run from the temporary folder: the forkserver puts its working folder first on sys.path, so a run
        # started inside a source tree would import that tree's code in the workers, whatever PYTHONPATH says
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp)
        trace, stop = Trace(), threading.Event()
        sampler = threading.Thread(target=_sample_tree, args=(proc.pid, trace, every, stop), daemon=True)
        sampler.start()
        _, err = proc.communicate()
        stop.set()
        sampler.join()
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err}")
        stages = _stages(probe_dir)
    return {"trace": trace, "stages": stages, "root": proc.pid, "t0": t0, "wall": time.time() - t0, "load": load}


def report(size: int, r: dict, growth: int = 0) -> tuple[float, float, float]:
    trace: Trace = r["trace"]
    gib = 2**30
    peaks = {}
    for kind in ("pss", "rss"):
        best = max(trace.samples, key=lambda s: sum(getattr(s, kind).values()))
        peaks[kind] = (sum(getattr(best, kind).values()), best)
    pss_peak, at = peaks["pss"]
    cpu = sum(trace.cpu.values())
    print(f"\n{size:,} people: wall {r['wall']:.0f} s, CPU {cpu:.1f} s (the tree, psutil), load before {', '.join(f'{x:.1f}' for x in r['load'])}, "
          f"{len(trace.samples)} samples")
    print(f"  peak PSS of the tree {pss_peak / gib:.2f} GiB at {at.t - r['t0']:.1f} s; "
          f"peak RSS sum {peaks['rss'][0] / gib:.2f} GiB at {peaks['rss'][1].t - r['t0']:.1f} s")
    print("  at the PSS peak:")
    for pid in sorted(at.pss, key=lambda p: -at.pss[p]):
        role = _role(pid, r["root"], trace)
        stage = _stage_at(r["stages"].get(pid, []), at.t)
        print(f"    {role:<16} pid {pid:<8} PSS {at.pss[pid] / 2**20:7.0f} MiB  RSS {at.rss.get(pid, 0) / 2**20:7.0f} MiB  {stage}")
    if r["stages"]:  # with --no-probe there are no stages to tell the phases apart
        starts = _phase_starts(r["stages"].get(r["root"], []))
        by_phase: dict[str, list[Sample]] = {}
        for smp in trace.samples:
            by_phase.setdefault(max((t, name) for name, t in starts.items() if t <= smp.t)[1], []).append(smp)
        print("  peak PSS of the tree in each phase of the run (the command's stage; each process's PSS in MiB):")
        for phase in [p for p in PHASES if p in by_phase]:
            smp = max(by_phase[phase], key=lambda s: sum(s.pss.values()))
            shares = ", ".join(f"{_role(pid, r['root'], trace)} {smp.pss[pid] / 2**20:.0f}"
                               for pid in sorted(smp.pss, key=lambda p: -smp.pss[p]) if smp.pss[pid] >= 16 << 20)
            print(f"    {phase:<11} {sum(smp.pss.values()) / gib:.2f} GiB at {smp.t - r['t0']:6.1f} s  ({shares})")
    print("  each process's own PSS peak:")
    for pid in sorted(trace.names):
        own = max(trace.samples, key=lambda s: s.pss.get(pid, 0))
        if own.pss.get(pid, 0) == 0:
            continue
        role = _role(pid, r["root"], trace)
        stage = _stage_at(r["stages"].get(pid, []), own.t)
        print(f"    {role:<16} pid {pid:<8} {own.pss[pid] / 2**20:7.0f} MiB at {own.t - r['t0']:6.1f} s  {stage}")
    if growth:
        print(f"  where each process's high-water mark grew (PSS above its running maximum, by stage; top {growth}):")
        for pid in sorted(trace.names):
            rows = r["stages"].get(pid, [])
            grew: dict[str, int] = {}
            high = 0
            for s in trace.samples:
                v = s.pss.get(pid, 0)
                if v > high:
                    if high:
                        stage = _stage_at(rows, s.t)
                        grew[stage] = grew.get(stage, 0) + v - high
                    high = v
            if grew:
                print(f"    {_role(pid, r['root'], trace)} pid {pid}:")
                for stage, v in sorted(grew.items(), key=lambda kv: -kv[1])[:growth]:
                    print(f"      {v / 2**20:7.0f} MiB  {stage}")
    return pss_peak / gib, peaks["rss"][0] / gib, cpu


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, extra = argv[:at], argv[at + 1:]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="1e6", help="people, comma-separated sizes (default 1e6)")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--growth", type=int, default=0, metavar="N",
                    help="also print, per process, the N stages its high-water mark grew in most")
    ap.add_argument("--every", type=float, default=0.03, help="seconds between samples (default 0.03)")
    ap.add_argument("--no-probe", action="store_true",
                    help="run the command without the stage probe (no stages, no phases): a check that the probe "
                         "changes nothing it measures")
    args = ap.parse_args(argv)
    sizes = [int(float(s)) for s in args.size.split(",")]
    print(f"scs-audit run --epsilon 1 {' '.join(extra)}; {os.cpu_count()} cores; sampled every {args.every} s"
          f"{'; no stage probe' if args.no_probe else ''}")
    summary: dict[int, list[tuple[float, float, float]]] = {}
    for _ in range(args.repeats):
        for n in sizes:  # interleaved sizes, so a burst of load hits each alike
            summary.setdefault(n, []).append(report(n, run_once(n, extra, args.every, probe=not args.no_probe), args.growth))
    print("\npeople          peak PSS GiB   peak RSS sum GiB   CPU s   (ranges over repeats)")
    for n, vals in summary.items():
        pss, rss, cpu = [v[0] for v in vals], [v[1] for v in vals], [v[2] for v in vals]
        print(f"{n:>12,}   {min(pss):.2f}-{max(pss):.2f}      {min(rss):.2f}-{max(rss):.2f}            "
              f"{min(cpu):.1f}-{max(cpu):.1f}")
    print(f"load after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
