"""Draws made in compiled code are numpy's: the same numbers, and the generator left in the same state.

:mod:`audit.population.synth.draw_kernels` draws from a ``numpy.random.Generator``
inside numba; the population stays the same only if every such draw equals
the numpy call it replaces, for the installed numba and numpy.
"""

from __future__ import annotations

import numpy as np
import pytest

from audit.population.synth import draw_kernels

#: numpy's ziggurat for the normal: beyond this a draw comes from its tail branch.
_ZIGGURAT_R = 3.6541528853610088


def _pair(seed: int, block: int = 0) -> tuple[np.random.Generator, np.random.Generator]:
    """Two generators seeded as the generator seeds a block."""
    return tuple(np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,)))) for _ in range(2))


def _assert_same_state(ours: np.random.Generator, numpy_: np.random.Generator) -> None:
    assert ours.bit_generator.state == numpy_.bit_generator.state
    np.testing.assert_array_equal(ours.random(5), numpy_.random(5))


@pytest.mark.parametrize("n", [0, 1, 2, 7, 1000, 1 << 16])
@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_standard_normals_are_numpys(n, seed):
    ours, numpy_ = _pair(seed, block=n)
    got = np.empty(n)
    draw_kernels.standard_normals(ours, got)
    np.testing.assert_array_equal(got, numpy_.standard_normal(n))
    _assert_same_state(ours, numpy_)


def test_standard_normals_tail_and_wedges_are_numpys():
    """Four million draws: the ziggurat's tail branch (|x| > r, two logs) is taken, and still numpy's numbers."""
    ours, numpy_ = _pair(7)
    got = np.empty(4_000_000)
    draw_kernels.standard_normals(ours, got)
    want = numpy_.standard_normal(got.shape[0])
    assert np.count_nonzero(np.abs(want) > _ZIGGURAT_R) > 100  # the tail branch ran (about 1 draw in 3,900)
    np.testing.assert_array_equal(got, want)
    _assert_same_state(ours, numpy_)


@pytest.mark.parametrize("sigma", [0.5, 0.1, 1.7])
@pytest.mark.parametrize("n", [0, 1, 5000])
def test_amount_log_noise_is_the_numpy_formulation(sigma, n):
    ours, numpy_ = _pair(3, block=n)
    got = np.empty(n)
    draw_kernels.amount_log_noise(ours, sigma, got)
    want = numpy_.standard_normal(n)
    want *= sigma
    want -= sigma**2 / 2
    np.testing.assert_array_equal(got, want)
    _assert_same_state(ours, numpy_)


def test_compiled_and_numpy_draws_interleave_as_numpy_alone():
    """A block mixes both kinds of draw on one generator: the sequence is numpy's alone."""
    ours, numpy_ = _pair(11, block=2)
    z = np.empty(300)
    draw_kernels.standard_normals(ours, z)
    u = ours.random(300)
    beta = ours.beta(8.0, 2.0, 300)
    noise = np.empty(40)
    draw_kernels.amount_log_noise(ours, 0.5, noise)
    months = ours.integers(0, 60, 300, dtype=np.int16)

    np.testing.assert_array_equal(z, numpy_.standard_normal(300))
    np.testing.assert_array_equal(u, numpy_.random(300))
    np.testing.assert_array_equal(beta, numpy_.beta(8.0, 2.0, 300))
    np.testing.assert_array_equal(noise, 0.5 * numpy_.standard_normal(40) - 0.125)
    np.testing.assert_array_equal(months, numpy_.integers(0, 60, 300, dtype=np.int16))
    _assert_same_state(ours, numpy_)
