"""Random draws made in compiled code: the very numbers numpy's ``Generator`` would draw, only cheaper.

numba compiles the methods of a ``numpy.random.Generator`` passed to a
compiled function from a port of numpy's own distributions (the same
ziggurat tables, the same calls to the bit generator), drawing from that
Generator's bit generator. So a draw made here gives the numbers the numpy
call gives and leaves the generator where the numpy call would: every draw
after it is unchanged too. ``tests/audit/test_synth_draws.py`` checks each
function here against the numpy call it replaces, on millions of draws (the
ziggurat's rare tail and wedge branches included), for the installed numba
and numpy.

Only the draws where it pays are made here: numpy's ``standard_normal`` costs
about three times as much CPU per number as numba's compiled one (about 11
against 4 ns, ``python bench/generate.py --draws``); ``random`` and
``beta`` cost numba as much as numpy or a little more, so
:mod:`audit.population.synth.blocks` still draws those, and the integers,
with numpy.
"""

from __future__ import annotations

import numba

__all__ = ["amount_log_noise", "standard_normals"]


_jit = numba.njit(cache=True, nogil=True)


@_jit
def standard_normals(rng, out):  # pragma: no cover - compiled
    """``rng.standard_normal(len(out), out=out)``."""
    for i in range(out.shape[0]):
        out[i] = rng.standard_normal()


@_jit
def amount_log_noise(rng, sigma, out):  # pragma: no cover - compiled
    """Log of a mean-one log-normal factor, ``sigma * N(0, 1) - sigma**2 / 2``, drawn into ``out``.

    The numpy formulation (the same operations in the same order)::

        rng.standard_normal(len(out), out=out); out *= sigma; out -= sigma**2 / 2
    """
    shift = sigma**2 / 2
    for i in range(out.shape[0]):
        out[i] = rng.standard_normal() * sigma - shift
