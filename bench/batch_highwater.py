"""Benchmark: a worker's high-water mark over one batch, this tree against another, alternating.

Usage::

    python bench/batch_highwater.py --against /path/to/other/tree --size 4e6 --repeats 3
    python bench/batch_highwater.py --against /path/to/other/tree --size 4e6 --group 16384   # another RESCORE_GROUP

Each run is a fresh process (``PYTHONPATH`` at one tree, started from ``/tmp``) that
does what a worker of ``scs-audit run --epsilon 1`` does: it loads the kernels as the
forkserver does (``audit.preload``), then runs the first batch (1,048,576 people) of a
population of ``--size`` people through the four reference scorers and every default
audit (``audit.engine.chunks.run_chunk``), and prints its resident high-water mark
(``VmHWM``, ``/proc/self/status``) after the preload and after the batch, with the
batch's CPU seconds (``time.process_time``) and the CPU seconds of the ground-truth
re-scoring within it. At four million people and more, the ground-truth sample is a
share of each batch, re-scored ``RESCORE_GROUP`` people at a time.

The high-water mark is the process's resident set, pages shared with the forkserver
included: it shows what a batch adds, not the tree's PSS (``bench/memtrace.py``).
Linux only. Never run in tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from alternating import alternate, span  # noqa: E402

BATCH = 1_048_576


def _high_water_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise SystemExit("no VmHWM in /proc/self/status: this benchmark needs Linux")


def child(size: int, group: int) -> dict:
    """One batch in this process, after the forkserver's preload; the figures as a dict."""
    import audit.preload  # noqa: F401 - loads the kernels, as the forkserver does before forking workers

    preload = _high_water_mib()
    import audit.disparity.ground_truth as ground_truth
    from audit.engine.chunks import ChunkTask, run_chunk
    from audit.engine.contract import AuditOptions
    from audit.population.groups import layout_for
    from audit.population.source import open_source
    from audit.population.synth import BLOCK_SIZE
    from audit.runner import default_audits
    from scorers.joint_punishment import JointPunishment
    from scorers.rongcheng import Rongcheng
    from scorers.sesame import Sesame
    from scorers.suining import Suining

    if group:
        ground_truth.RESCORE_GROUP = group
    truth_seconds = [0.0]
    deserved_of = ground_truth._deserved_of

    def timed(*args, **kwargs):
        t0 = time.process_time()
        try:
            return deserved_of(*args, **kwargs)
        finally:
            truth_seconds[0] += time.process_time() - t0

    ground_truth._deserved_of = timed
    options = AuditOptions(population_size=size)
    source = open_source("china-2020", size=size, seed=0)
    scorers = tuple((s.name, s) for s in (Suining(), Rongcheng(), JointPunishment(), Sesame()))
    task = ChunkTask(source=source, blocks=(0, BATCH // BLOCK_SIZE), scorers=scorers,
                     audits=tuple(default_audits(options)), layout=layout_for((), spec=source.spec), options=options)
    t0 = time.process_time()
    run_chunk(task)
    return {"preload": preload, "batch": _high_water_mib(), "cpu": time.process_time() - t0,
            "truth_cpu": truth_seconds[0], "group": ground_truth.RESCORE_GROUP}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--against", type=Path, help="another copy of the code (its folder), run alternately with this tree")
    ap.add_argument("--size", default="4e6", help="people in the population (default 4e6)")
    ap.add_argument("--group", type=int, default=0, help="RESCORE_GROUP for both trees (default: each tree's own)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    size = int(float(args.size))
    if args.child:
        print(json.dumps(child(size, args.group)))
        return
    here = Path(__file__).resolve().parent.parent
    trees = [("this tree", here)] + ([("against", args.against.resolve())] if args.against else [])
    got, loads = alternate(__file__, trees, args.repeats, "--size", str(size), "--group", str(args.group))
    print(f"one batch of {BATCH:,} people of a {size:,}-person run; {args.repeats} runs per tree, alternating; "
          f"load average before the runs {span(loads, '.1f')}")
    print(f"{'tree':12s} {'group':>7s} {'high-water after preload MiB':>29s} {'after the batch MiB':>20s} "
          f"{'batch CPU s':>12s} {'ground truth CPU s':>19s}")
    for name, runs in got.items():
        print(f"{name:12s} {runs[0]['group']:>7,d} {span([r['preload'] for r in runs], '.0f'):>29s} "
              f"{span([r['batch'] for r in runs], '.0f'):>20s} {span([r['cpu'] for r in runs], '.2f'):>12s} "
              f"{span([r['truth_cpu'] for r in runs], '.2f'):>19s}")


if __name__ == "__main__":
    main()
