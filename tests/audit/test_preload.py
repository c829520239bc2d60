"""The forkserver's warm-up leaves every kernel a chunk calls compiled, so forked workers do not load them again."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_importing_the_preload_compiles_the_kernels_of_a_chunk():
    # a fresh interpreter: in this one other tests may already have called the kernels
    code = textwrap.dedent(
        """
        import audit.disparity.cell_kernels as cells
        import audit.population.cell_codes as codes
        import audit.population.synth.event_kernels as synth
        import audit.sample_kernels as sample
        import scorers._kernels._compiled as compiled
        import scorers._kernels._listing as listing
        kernels = [compiled.points_kernel, compiled.sesame_kernel, compiled.sesame_reasons_kernel,
                   listing.listing_kernel, cells.cell_tables, cells.score_range, codes.cells_of_bytes, synth.sort_events,
                   synth.write_events]
        before = [len(k.signatures) for k in kernels]
        import audit.preload  # what the forkserver imports
        after = [len(k.signatures) for k in kernels]
        print(before, after)
        assert before == [0] * len(kernels), before
        assert all(n > 0 for n in after), after
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


def test_the_pool_preloads_it_before_forking_workers():
    import multiprocessing
    from multiprocessing import forkserver

    from audit.engine.workers import ProcessExecutor

    if "forkserver" not in multiprocessing.get_all_start_methods():  # pragma: no cover - spawn: nothing is forked
        return
    with ProcessExecutor(1):
        assert forkserver._forkserver._preload_modules[-1] == "audit.preload"


def _frozen_in_worker(_task):
    import gc

    return gc.get_freeze_count()


def test_a_worker_starts_with_what_it_inherited_frozen():
    from audit.engine.workers import ProcessExecutor

    with ProcessExecutor(1) as ex:
        [(_, frozen)] = list(ex.imap_unordered(_frozen_in_worker, iter([0])))
    assert frozen > 10_000  # the modules and kernels it inherited: out of the collector's reach
