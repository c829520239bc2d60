"""Compiled kernels loaded once, in the forkserver, before any worker is forked.

The generator, the reference scorers and the audits run numba kernels that
are compiled once and cached on disk; each process that calls one loads it
from the cache the first time (measured here: about 1.8 CPU seconds for a
fresh process's first small chunk against 0.12 for its second). Worker
processes are forked from the forkserver (:class:`audit.engine.workers.ProcessExecutor`),
which imports this module before it forks any: :func:`warm` runs one tiny
chunk (every kernel the chunks call; finalizing calls the same scorer kernels, and
is mostly interpreted work not worth repeating here), so every worker — and every replacement of a worker —
starts with the kernels in memory instead of loading them again.

Importing this module runs :func:`warm`: that is what a forkserver preload
does (it imports modules by name). Nothing else imports it.
"""

from __future__ import annotations

import gc
import time

__all__ = ["WARM_PEOPLE", "warm"]

#: People in the warm-up chunk: one partial generation block, enough for every kernel to run on every path.
WARM_PEOPLE = 3_000


def warm() -> float:
    """Run a tiny chunk through generation, the four reference scorers and every default audit.

    Returns the CPU seconds it took. Never raises: the warm-up only saves time,
    so a failure here is left for the run itself to meet and report. Objects
    made so far are then frozen out of the garbage collector's reach
    (:func:`gc.freeze`), so workers forked afterwards do not scan or copy them.
    """
    t0 = time.process_time()
    try:
        _run_tiny()
    except Exception:  # noqa: BLE001 - an optimisation only; the run reports any real fault itself
        pass
    gc.collect()
    gc.freeze()
    return time.process_time() - t0


def _run_tiny() -> None:
    from audit.engine.chunks import ChunkTask, run_chunk
    from audit.engine.contract import AuditOptions
    from audit.population.groups import layout_for
    from audit.population.source import open_source
    from audit.runner import default_audits
    from scorers.joint_punishment import JointPunishment
    from scorers.rongcheng import Rongcheng
    from scorers.sesame import Sesame
    from scorers.suining import Suining

    # the shipped reference scorers only: a third-party plugin's code never runs in the forkserver
    scorers = tuple((s.name, s) for s in (Suining(), Rongcheng(), JointPunishment(), Sesame()))
    options = AuditOptions(population_size=WARM_PEOPLE, bootstrap=20, replay_sample=50, probe_size=0)
    source = open_source("china-2020", size=WARM_PEOPLE, seed=0)
    layout = layout_for((), spec=source.spec)
    audits = tuple(default_audits(options))
    run_chunk(ChunkTask(source=source, blocks=source.chunk_plan(WARM_PEOPLE)[0], scorers=scorers, audits=audits,
                        layout=layout, options=options))

warm()
