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


def _after_odd_32_bit_draws(*generators: np.random.Generator) -> None:
    """Leave each generator holding the unused half of a 64-bit output (numpy's ``has_uint32``)."""
    for rng in generators:
        rng.integers(0, 1000, 3, dtype=np.int32)
        assert rng.bit_generator.state["has_uint32"] == 1


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 7, 8, 1001, 1 << 16])
@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_uniforms_are_numpys(n, seed):
    """Four interleaved streams and the leftover draws: numpy's numbers in numpy's order, for every remainder mod 4."""
    ours, numpy_ = _pair(seed, block=n)
    _after_odd_32_bit_draws(ours, numpy_)
    got = np.full(n, np.nan)
    assert draw_kernels.uniforms(ours, got) is got
    np.testing.assert_array_equal(got, numpy_.random(n))
    _assert_same_state(ours, numpy_)
    np.testing.assert_array_equal(ours.integers(0, 1000, 5, dtype=np.int32), numpy_.integers(0, 1000, 5, dtype=np.int32))


def test_one_uniform_is_one_pcg64_step():
    """By hand: the state moves by PCG64's multiplier and increment, the number is the XSL-RR output's top 53 bits."""
    rng = np.random.Generator(np.random.PCG64(5))
    before = rng.bit_generator.state["state"]
    got = draw_kernels.uniforms(rng, np.empty(1))[0]
    multiplier = (2549297995355413924 << 64) + 4865540595714422341
    state = (before["state"] * multiplier + before["inc"]) % (1 << 128)
    high, low = state >> 64, state & ((1 << 64) - 1)
    rot = high >> 58
    x = high ^ low
    output = ((x >> rot) | (x << ((64 - rot) % 64))) & ((1 << 64) - 1)
    assert rng.bit_generator.state["state"]["state"] == state
    assert got == (output >> 11) / 2.0**53


@pytest.mark.parametrize(("a", "b"), [(8.0, 2.0), (1.5, 1.01), (30.0, 1.2)])
@pytest.mark.parametrize("n", [0, 1, 5000])
def test_betas_are_numpys(a, b, n):
    ours, numpy_ = _pair(5, block=n)
    got = np.full(n, np.nan)
    assert draw_kernels.betas(ours, a, b, got) is got
    np.testing.assert_array_equal(got, numpy_.beta(a, b, n))
    _assert_same_state(ours, numpy_)


def test_betas_second_acceptance_test_is_numpys():
    """Two million betas: the gammas' logarithmic acceptance test decides often, and rejects, as in numpy.

    The cheap test ``u < 1 - 0.0331 x**4`` fails for about 1 try in 10
    (``0.0331 * E[x**4] = 0.0993``), and at shapes just above 1 the
    logarithmic test behind it rejects more tries than at larger shapes.
    """
    ours, numpy_ = _pair(13)
    got = np.empty(2_000_000)
    draw_kernels.betas(ours, 1.01, 1.001, got)
    np.testing.assert_array_equal(got, numpy_.beta(1.01, 1.001, got.shape[0]))
    _assert_same_state(ours, numpy_)


@pytest.mark.parametrize(("a", "b"), [(0.5, 2.0), (1.0, 3.0), (0.5, 0.7), (2.0, 1.0)])
def test_betas_with_a_shape_up_to_1_are_numpys_own(a, b):
    ours, numpy_ = _pair(6)
    got = draw_kernels.betas(ours, a, b, np.empty(2000))
    np.testing.assert_array_equal(got, numpy_.beta(a, b, 2000))
    _assert_same_state(ours, numpy_)


@pytest.mark.parametrize("lam", [1e-9, 0.3, 7.0, 9.999999])
@pytest.mark.parametrize("n", [0, 1, 2, 5000])
def test_poissons_are_numpys(lam, n):
    """Below 10 numpy multiplies uniforms until the product is at most exp(-lam): the same counts and state."""
    ours, numpy_ = _pair(31, block=n)
    got = np.full(n, -1, np.int64)
    assert draw_kernels.poissons(ours, lam, got) is got
    np.testing.assert_array_equal(got, numpy_.poisson(lam, n))
    _assert_same_state(ours, numpy_)


def test_poissons_of_a_million_draws_are_numpys():
    """A million draws of mean 7 (the generator's follow-up delays): long runs of factors included."""
    ours, numpy_ = _pair(37)
    got = draw_kernels.poissons(ours, 7.0, np.empty(1_000_000, np.int64))
    want = numpy_.poisson(7.0, got.shape[0])
    assert want.max() >= 20 and np.count_nonzero(want == 0) > 100  # both ends of the distribution drawn
    np.testing.assert_array_equal(got, want)
    _assert_same_state(ours, numpy_)


@pytest.mark.parametrize(("lam", "dtype"), [(0.0, np.int64), (10.0, np.int64), (45.5, np.int64), (3.0, np.int32)])
def test_poissons_outside_the_compiled_range_are_numpys_own(lam, dtype):
    """lam = 0 draws nothing, lam >= 10 is numpy's transformed rejection, another dtype numpy's own call."""
    ours, numpy_ = _pair(41)
    got = draw_kernels.poissons(ours, lam, np.empty(400, dtype))
    np.testing.assert_array_equal(got, numpy_.poisson(lam, 400))
    _assert_same_state(ours, numpy_)


@pytest.mark.parametrize(("low", "high", "dtype"), [
    (0, 36, np.int16), (-5, 30000, np.int16), (-32768, 32767, np.int16), (-32768, 1, np.int16), (0, 2, np.int16),
    (0, 24, np.int64), (7, 1_000_003, np.int64), (0, 65_536, np.int64), (0, 2**31 + 1, np.int64),
    (-3, 2**32 - 4, np.int64),
])
@pytest.mark.parametrize("n", [0, 1, 2, 3, 5000])
@pytest.mark.parametrize("held", [False, True])
def test_integers_are_numpys(low, high, dtype, n, held):
    """16-bit draws two from each 32-bit draw, 32-bit draws from 64-bit outputs' halves: numpy's numbers and state.

    A range just above half the draws' (``2**15 + 1``, ``2**31 + 1`` values)
    has nearly half its draws rejected and drawn again, so the redraws are
    numpy's too; ``held`` starts with a 32-bit half held over.
    """
    ours, numpy_ = _pair(17, block=n)
    if held:
        _after_odd_32_bit_draws(ours, numpy_)
    got = np.full(n, -1, dtype)
    assert draw_kernels.integers(ours, low, high, got) is got
    np.testing.assert_array_equal(got, numpy_.integers(low, high, n, dtype=dtype))
    _assert_same_state(ours, numpy_)
    np.testing.assert_array_equal(ours.integers(0, 50, 3, dtype=np.int16), numpy_.integers(0, 50, 3, dtype=np.int16))


@pytest.mark.parametrize(("low", "high", "dtype"), [(4, 5, np.int16), (0, 2**32 + 5, np.int64), (0, 9, np.int32)])
def test_integers_outside_the_compiled_ranges_are_numpys_own(low, high, dtype):
    ours, numpy_ = _pair(19)
    got = draw_kernels.integers(ours, low, high, np.empty(300, dtype))
    np.testing.assert_array_equal(got, numpy_.integers(low, high, 300, dtype=dtype))
    _assert_same_state(ours, numpy_)


def test_integers_out_of_the_dtypes_bounds_are_refused_as_numpy_refuses_them():
    with pytest.raises(ValueError, match="high is out of bounds for int16"):
        draw_kernels.integers(np.random.default_rng(0), 0, 40_000, np.empty(3, np.int16))


def test_other_bit_generators_draw_numpys_numbers():
    """Another bit generator than PCG64: each function makes numpy's own call."""
    ours, numpy_ = (np.random.Generator(np.random.Philox(21)) for _ in range(2))
    u, z, beta, noise, months = np.empty(101), np.empty(102), np.empty(103), np.empty(104), np.empty(105, np.int16)
    draw_kernels.integers(ours, 0, 36, months)
    draw_kernels.uniforms(ours, u)
    draw_kernels.standard_normals(ours, z)
    draw_kernels.betas(ours, 8.0, 2.0, beta)
    draw_kernels.amount_log_noise(ours, 0.5, noise)
    delays = draw_kernels.poissons(ours, 7.0, np.empty(106, np.int64))
    np.testing.assert_array_equal(months, numpy_.integers(0, 36, 105, dtype=np.int16))
    np.testing.assert_array_equal(u, numpy_.random(101))
    np.testing.assert_array_equal(z, numpy_.standard_normal(102))
    np.testing.assert_array_equal(beta, numpy_.beta(8.0, 2.0, 103))
    np.testing.assert_array_equal(noise, 0.5 * numpy_.standard_normal(104) - 0.125)
    np.testing.assert_array_equal(delays, numpy_.poisson(7.0, 106))
    np.testing.assert_array_equal(ours.random(5), numpy_.random(5))  # left in the same state


def test_compiled_and_numpy_draws_interleave_as_numpy_alone():
    """A block mixes both kinds of draw on one generator: the sequence is numpy's alone."""
    ours, numpy_ = _pair(11, block=2)
    z = np.empty(300)
    draw_kernels.standard_normals(ours, z)
    u = draw_kernels.uniforms(ours, np.empty(301))
    beta = draw_kernels.betas(ours, 8.0, 2.0, np.empty(300))
    scattered = ours.random(7)
    noise = np.empty(40)
    draw_kernels.amount_log_noise(ours, 0.5, noise)
    months = draw_kernels.integers(ours, 0, 60, np.empty(300, np.int16))
    friends = draw_kernels.integers(ours, 0, 1000, np.empty(33, np.int64))

    np.testing.assert_array_equal(z, numpy_.standard_normal(300))
    np.testing.assert_array_equal(u, numpy_.random(301))
    np.testing.assert_array_equal(beta, numpy_.beta(8.0, 2.0, 300))
    np.testing.assert_array_equal(scattered, numpy_.random(7))
    np.testing.assert_array_equal(noise, 0.5 * numpy_.standard_normal(40) - 0.125)
    np.testing.assert_array_equal(months, numpy_.integers(0, 60, 300, dtype=np.int16))
    np.testing.assert_array_equal(friends, numpy_.integers(0, 1000, 33))
    _assert_same_state(ours, numpy_)


def test_draws_held_through_a_with_block_are_numpys():
    """One state read and one store around many draws, a numpy-only beta among them: numpy's sequence."""
    ours, numpy_ = _pair(23, block=4)
    with draw_kernels.Draws(ours) as draws:
        z = draws.standard_normals(np.empty(1000))
        u = draws.uniforms(np.empty(999))
        low_shape = draws.betas(0.5, 3.0, np.empty(50))  # numpy's own call, the state stored and read around it
        beta = draws.betas(8.0, 2.0, np.empty(70))
        months = draws.integers(0, 36, np.empty(555, np.int16))
        noise = draws.amount_log_noise(0.5, np.empty(33))
        delays = draws.poissons(7.0, np.empty(77, np.int64))
        big_delays = draws.poissons(12.0, np.empty(20, np.int64))  # numpy's own call inside the block
    np.testing.assert_array_equal(z, numpy_.standard_normal(1000))
    np.testing.assert_array_equal(u, numpy_.random(999))
    np.testing.assert_array_equal(low_shape, numpy_.beta(0.5, 3.0, 50))
    np.testing.assert_array_equal(beta, numpy_.beta(8.0, 2.0, 70))
    np.testing.assert_array_equal(months, numpy_.integers(0, 36, 555, dtype=np.int16))
    np.testing.assert_array_equal(noise, 0.5 * numpy_.standard_normal(33) - 0.125)
    np.testing.assert_array_equal(delays, numpy_.poisson(7.0, 77))
    np.testing.assert_array_equal(big_delays, numpy_.poisson(12.0, 20))
    _assert_same_state(ours, numpy_)


def test_draws_outside_a_with_block_are_numpys_own_calls():
    ours, numpy_ = _pair(29)
    draws = draw_kernels.Draws(ours)
    np.testing.assert_array_equal(draws.uniforms(np.empty(10)), numpy_.random(10))
    _assert_same_state(ours, numpy_)
