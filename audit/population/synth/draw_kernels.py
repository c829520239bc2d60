"""Random draws made in compiled code: the very numbers numpy's ``Generator`` would draw, only cheaper.

The generator's blocks each draw from a ``numpy.random.Generator`` over a
``PCG64`` bit generator. For that bit generator the draws here step PCG64
itself, in compiled code: they read the Generator's state (its public
``bit_generator.state``), advance the same 128-bit linear congruential
generator with the same multiplier and increment, form each 64-bit output by
PCG64's XSL-RR permutation and turn outputs into numbers exactly as numpy's
C code does (uniforms as ``(x >> 11) * 2**-53``, normals by numpy's
ziggurat with its tables, betas by numpy's two Marsaglia-Tsang gammas,
bounded integers by numpy's Lemire draws from 32-bit halves of outputs,
Poisson counts of mean below 10 by numpy's product of uniforms),
then store the state back. So a draw made here gives the numbers the numpy
call gives and leaves the generator where the numpy call would: every draw
after it is unchanged too. ``tests/audit/test_synth_draws.py`` checks each
draw against the numpy call it replaces, on millions of draws (the
ziggurat's rare tail and wedge branches, the gammas' second, logarithmic
acceptance test and the integers' redraws included), for the installed
numba and numpy; with any other bit generator each makes numpy's own call.
A :class:`Draws` block holds the state while a generation block makes
several draws in a row (reading and storing it costs several
microseconds).

Why it is cheaper: numpy calls the bit generator through a function pointer
for every 64-bit output, and its ziggurat branches on each normal's random
sign. Here the generator's step is inlined (numba has no 128-bit integers;
:func:`_lcg` emits LLVM's ``i128`` arithmetic, three multiplications), a
run of uniforms advances four interleaved copies of the generator, each
four steps at a time (the same sequence, without waiting on one chain of
multiplications), and the normal's sign is applied by a multiplication by
``+-1.0`` (exact) instead of a branch. Per number, normals and betas cost
about a third of numpy's CPU, uniforms and 32-bit integers about half;
16-bit integers about what numpy's do, drawn here to go straight into
their array (``python bench/generate.py --draws``; figures in
docs/scale.md, Generation). numba's own ``Generator`` methods call the bit
generator through its function pointers as numpy does, and are no cheaper
but for normals.

The ziggurat's tables are numba's copy of numpy's
(``numba.np.random._constants``); the tests above would fail if a numba
release changed them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from numba.core import types
from numba.extending import intrinsic
from numba.np.random._constants import fi_double, ki_double, wi_double, ziggurat_nor_inv_r, ziggurat_nor_r

__all__ = ["Draws", "amount_log_noise", "betas", "integers", "poissons", "standard_normals", "uniforms"]


_jit = numba.njit(cache=True, nogil=True)

#: PCG64's 128-bit multiplier (numpy's ``PCG_DEFAULT_MULTIPLIER_128``), as its high and low 64 bits.
_MULTIPLIER_HIGH = np.uint64(2549297995355413924)
_MULTIPLIER_LOW = np.uint64(4865540595714422341)
_ZERO = np.uint64(0)
_LOW_64 = (1 << 64) - 1


@intrinsic
def _lcg(typingctx, high, low, mul_high, mul_low, add_high, add_low):
    """``(high:low) * (mul_high:mul_low) + (add_high:add_low)`` modulo ``2**128``, as its (high, low) 64-bit halves.

    One step of PCG64's linear congruential generator (or of several steps at
    once, with their combined multiplier and increment), in LLVM's 128-bit
    integers: numba has none, and splitting the product into 32-bit parts
    costs several times as many multiplications.
    """
    u64 = types.uint64
    signature = types.UniTuple(u64, 2)(u64, u64, u64, u64, u64, u64)

    def codegen(context, builder, sig, args):
        narrow = args[0].type  # LLVM's i64
        wide = type(narrow)(128)  # i128 (an LLVM integer type of another width, without importing llvmlite)
        half = wide(64)  # the constant 64, as an i128

        def joined(hi, lo):
            return builder.or_(builder.shl(builder.zext(hi, wide), half), builder.zext(lo, wide))

        value = builder.add(builder.mul(joined(args[0], args[1]), joined(args[2], args[3])), joined(args[4], args[5]))
        new_high = builder.trunc(builder.lshr(value, half), narrow)
        new_low = builder.trunc(value, narrow)
        return context.make_tuple(builder, sig.return_type, [new_high, new_low])

    return signature, codegen


@numba.njit(inline="always")
def _step(high, low, inc_high, inc_low):  # pragma: no cover - compiled
    """PCG64's next state (numpy's ``pcg_setseq_128_step_r``: ``state * multiplier + inc``)."""
    return _lcg(high, low, _MULTIPLIER_HIGH, _MULTIPLIER_LOW, inc_high, inc_low)


@numba.njit(inline="always")
def _output(high, low):  # pragma: no cover - compiled
    """PCG64's 64-bit output of a state (numpy's ``pcg_output_xsl_rr_128_64``): ``rotr64(high ^ low, high >> 58)``."""
    x = high ^ low
    rot = high >> np.uint64(58)
    return (x >> rot) | (x << ((np.uint64(64) - rot) & np.uint64(63)))


@numba.njit(inline="always")
def _double(high, low):  # pragma: no cover - compiled
    """The uniform in ``[0, 1)`` of a state's output (numpy's ``next_double``: ``(x >> 11) * 2**-53``).

    ``x >> 11`` is below ``2**53``, so it converts exactly through a signed
    integer (one instruction, where an unsigned one takes several).
    """
    return np.float64(np.int64(_output(high, low) >> np.uint64(11))) * (1.0 / 9007199254740992.0)


@_jit
def _uniforms(state, out):  # pragma: no cover - compiled
    """``out[:] = rng.random(len(out))`` from PCG64 state ``state`` = [high, low, inc high, inc low] (advanced in place).

    Four copies of the generator, at states ``t+1 .. t+4``, each jump four
    steps at a time (multiplier ``A**4``, increment ``c * (A**3 + A**2 + A
    + 1)``): the same outputs in the same order as one generator stepping
    once per number, with four independent chains of multiplications.
    """
    high, low, inc_high, inc_low = state[0], state[1], state[2], state[3]
    n = out.shape[0]
    whole = n - n % 4
    if whole:
        mul_high, mul_low, add_high, add_low = _MULTIPLIER_HIGH, _MULTIPLIER_LOW, inc_high, inc_low
        for _ in range(3):
            add_high, add_low = _lcg(add_high, add_low, _MULTIPLIER_HIGH, _MULTIPLIER_LOW, inc_high, inc_low)
            mul_high, mul_low = _lcg(mul_high, mul_low, _MULTIPLIER_HIGH, _MULTIPLIER_LOW, _ZERO, _ZERO)
        h0, l0 = _step(high, low, inc_high, inc_low)
        h1, l1 = _step(h0, l0, inc_high, inc_low)
        h2, l2 = _step(h1, l1, inc_high, inc_low)
        h3, l3 = _step(h2, l2, inc_high, inc_low)
        for i in range(0, whole, 4):
            at = np.uint64(i)
            out[at] = _double(h0, l0)
            out[at + np.uint64(1)] = _double(h1, l1)
            out[at + np.uint64(2)] = _double(h2, l2)
            out[at + np.uint64(3)] = _double(h3, l3)
            high, low = h3, l3  # the state after the last number drawn
            h0, l0 = _lcg(h0, l0, mul_high, mul_low, add_high, add_low)
            h1, l1 = _lcg(h1, l1, mul_high, mul_low, add_high, add_low)
            h2, l2 = _lcg(h2, l2, mul_high, mul_low, add_high, add_low)
            h3, l3 = _lcg(h3, l3, mul_high, mul_low, add_high, add_low)
    for i in range(whole, n):
        high, low = _step(high, low, inc_high, inc_low)
        out[np.uint64(i)] = _double(high, low)
    state[0], state[1] = high, low


@numba.njit(inline="always")
def _normal(high, low, inc_high, inc_low):  # pragma: no cover - compiled
    """One standard normal from PCG64 state (high, low), as (value, high, low) with the state advanced.

    numpy's ziggurat (``random_standard_normal``), step for step: one 64-bit
    output per try (8 bits of index, a sign bit, 52 bits of magnitude), the
    tail (index 0) by two ``log1p`` of uniforms, a wedge by one uniform and
    ``exp``. The sign multiplies (by ``+-1.0``, exact) instead of branching:
    it is random, and a mispredicted branch costs more than the rest.
    """
    while True:
        high, low = _step(high, low, inc_high, inc_low)
        r = _output(high, low)
        idx = r & np.uint64(0xFF)
        r >>= np.uint64(8)
        sign = 1.0 - 2.0 * np.float64(np.int64(r & np.uint64(1)))
        rabs = (r >> np.uint64(1)) & np.uint64(0x000FFFFFFFFFFFFF)
        x = np.int64(rabs) * wi_double[idx] * sign
        if rabs < ki_double[idx]:
            return x, high, low
        if idx == 0:  # the tail, beyond the ziggurat's last edge
            while True:
                high, low = _step(high, low, inc_high, inc_low)
                xx = -ziggurat_nor_inv_r * np.log1p(-_double(high, low))
                high, low = _step(high, low, inc_high, inc_low)
                yy = -np.log1p(-_double(high, low))
                if yy + yy > xx * xx:
                    break
            return (-(ziggurat_nor_r + xx) if (rabs >> np.uint64(8)) & np.uint64(1) else ziggurat_nor_r + xx), high, low
        high, low = _step(high, low, inc_high, inc_low)
        if (fi_double[idx - 1] - fi_double[idx]) * _double(high, low) + fi_double[idx] < np.exp(-0.5 * x * x):
            return x, high, low


@_jit
def _normals(state, out, scale, shift):  # pragma: no cover - compiled
    """``out[:] = rng.standard_normal(len(out)) * scale - shift`` from PCG64 state ``state`` (advanced in place).

    ``scale = 1.0, shift = 0.0`` gives the plain normals (both operations exact).
    """
    high, low, inc_high, inc_low = state[0], state[1], state[2], state[3]
    for i in range(out.shape[0]):
        x, high, low = _normal(high, low, inc_high, inc_low)
        out[i] = x * scale - shift
    state[0], state[1] = high, low


@numba.njit(inline="always")
def _gamma(high, low, inc_high, inc_low, shape_b, shape_c):  # pragma: no cover - compiled
    """numpy's ``random_standard_gamma`` for a shape above 1 (Marsaglia-Tsang), as (value, high, low).

    ``shape_b = shape - 1/3``, ``shape_c = 1 / sqrt(9 * shape_b)``, as numpy
    computes them; the normals as :func:`_normal` draws them.
    """
    while True:
        while True:
            x, high, low = _normal(high, low, inc_high, inc_low)
            v = 1.0 + shape_c * x
            if v > 0.0:
                break
        v = v * v * v
        high, low = _step(high, low, inc_high, inc_low)
        u = _double(high, low)
        if u < 1.0 - 0.0331 * (x * x) * (x * x):
            return shape_b * v, high, low
        if np.log(u) < 0.5 * x * x + shape_b * (1.0 - v + np.log(v)):
            return shape_b * v, high, low


@_jit
def _betas(state, a, b, out):  # pragma: no cover - compiled
    """``out[:] = rng.beta(a, b, len(out))`` for ``a > 1`` and ``b > 1``, from PCG64 state ``state`` (advanced in place).

    numpy's ``random_beta`` with both shapes above 1: ``Ga / (Ga + Gb)`` of a
    gamma of shape ``a`` and one of shape ``b``, drawn in that order.
    """
    high, low, inc_high, inc_low = state[0], state[1], state[2], state[3]
    a_b = a - 1.0 / 3.0
    a_c = 1.0 / np.sqrt(9 * a_b)
    b_b = b - 1.0 / 3.0
    b_c = 1.0 / np.sqrt(9 * b_b)
    for i in range(out.shape[0]):
        ga, high, low = _gamma(high, low, inc_high, inc_low, a_b, a_c)
        gb, high, low = _gamma(high, low, inc_high, inc_low, b_b, b_c)
        out[i] = ga / (ga + gb)
    state[0], state[1] = high, low


@numba.njit(inline="always")
def _next32(high, low, inc_high, inc_low, has, held):  # pragma: no cover - compiled
    """numpy's ``pcg64_next32``: the held upper half of the last output if there is one, else a new output's
    lower half (its upper half then held); as (value, high, low, has, held)."""
    if has:
        return held, high, low, _ZERO, held
    high, low = _step(high, low, inc_high, inc_low)
    x = _output(high, low)
    return x & np.uint64(0xFFFFFFFF), high, low, np.uint64(1), x >> np.uint64(32)


@_jit
def _bounded32(state, off, rng_incl, out):  # pragma: no cover - compiled
    """``out[:] = off + `` numpy's 32-bit Lemire draws in ``[0, rng_incl]`` (``0 < rng_incl < 2**32 - 1``).

    numpy's ``random_bounded_uint64_fill`` for a range within 32 bits,
    without masking: each draw from :func:`_next32`, drawn again while the low
    32 bits of ``draw * (rng_incl + 1)`` fall below ``(2**32 - 1 - rng_incl)
    % (rng_incl + 1)`` (numpy first compares them with ``rng_incl + 1``, which
    is above that remainder: the same outcome).
    """
    high, low, inc_high, inc_low, has, held = state[0], state[1], state[2], state[3], state[4], state[5]
    mask = np.uint64(0xFFFFFFFF)
    rng_excl = np.uint64(rng_incl) + np.uint64(1)
    threshold = (mask - np.uint64(rng_incl)) % rng_excl
    for i in range(out.shape[0]):
        while True:
            value, high, low, has, held = _next32(high, low, inc_high, inc_low, has, held)
            m = value * rng_excl
            if (m & mask) >= threshold:
                break
        out[i] = off + np.int64(m >> np.uint64(32))
    state[0], state[1], state[4], state[5] = high, low, has, held


@_jit
def _bounded16(state, off, rng_incl, out):  # pragma: no cover - compiled
    """``out[:] = off + `` numpy's 16-bit Lemire draws in ``[0, rng_incl]`` (``0 < rng_incl < 2**16 - 1``).

    numpy's ``random_bounded_uint16_fill`` without masking: two 16-bit draws
    from each :func:`_next32` (low half first, a new call's halves counted
    from zero), each drawn again as in :func:`_bounded32` with 16 bits.
    """
    high, low, inc_high, inc_low, has, held = state[0], state[1], state[2], state[3], state[4], state[5]
    mask = np.uint64(0xFFFF)
    rng_excl = np.uint64(rng_incl) + np.uint64(1)
    threshold = (mask - np.uint64(rng_incl)) % rng_excl
    buffered = False  # numpy's bcnt: the upper half of ``buffer`` is still to be used
    buffer = _ZERO
    for i in range(out.shape[0]):
        while True:
            if buffered:
                buffer >>= np.uint64(16)
            else:
                buffer, high, low, has, held = _next32(high, low, inc_high, inc_low, has, held)
            buffered = not buffered
            m = (buffer & mask) * rng_excl
            if (m & mask) >= threshold:
                break
        out[i] = off + np.int64(m >> np.uint64(16))
    state[0], state[1], state[4], state[5] = high, low, has, held


@_jit
def _poissons(state, exp_minus_lam, out):  # pragma: no cover - compiled
    """``out[:] = rng.poisson(lam, len(out))`` for ``0 < lam < 10``, from PCG64 state ``state`` (advanced in place).

    numpy's ``random_poisson_mult``: multiply uniforms until their product
    is at most ``exp(-lam)``; the count of factors before that is the draw.
    ``exp_minus_lam`` is ``exp(-lam)`` as the C library computes it (numpy's
    C code calls it; Python's ``math.exp`` is the same function).
    """
    high, low, inc_high, inc_low = state[0], state[1], state[2], state[3]
    for i in range(out.shape[0]):
        count = 0
        product = 1.0
        while True:
            high, low = _step(high, low, inc_high, inc_low)
            product *= _double(high, low)
            if product <= exp_minus_lam:
                break
            count += 1
        out[i] = count
    state[0], state[1] = high, low


def _pcg64_state(rng: np.random.Generator) -> tuple[np.ndarray, Any] | None:
    """The PCG64 state of ``rng`` as ``[high, low, inc high, inc low, has 32 bits, held 32 bits]`` (``uint64``),
    with numpy's state dict; ``None`` when ``rng``'s bit generator is not PCG64."""
    bit_generator = rng.bit_generator
    if type(bit_generator) is not np.random.PCG64:
        return None
    saved = bit_generator.state
    value, inc = saved["state"]["state"], saved["state"]["inc"]
    state = [value >> 64, value & _LOW_64, inc >> 64, inc & _LOW_64, saved["has_uint32"], saved["uinteger"]]
    return np.array(state, dtype=np.uint64), saved


def _store_pcg64_state(rng: np.random.Generator, state: np.ndarray, saved: Any) -> None:
    """Set ``rng``'s PCG64 state to ``state`` (from :func:`_pcg64_state`, advanced), with the 32-bit half it holds."""
    saved["state"]["state"] = (int(state[0]) << 64) | int(state[1])
    saved["has_uint32"], saved["uinteger"] = int(state[4]), int(state[5])
    rng.bit_generator.state = saved


class Draws:
    """Draws from ``rng``, made in compiled code while its PCG64 state is held here (a ``with`` block).

    Reading and setting a Generator's state costs several microseconds, as
    much as drawing a few thousand numbers, so the state is read once on
    entering and stored back once on leaving, however many draws are made
    in between. Inside the block draw from ``rng`` only through this object:
    numpy's own methods would start from the state as it was on entering.
    With another bit generator than PCG64, or outside a ``with`` block, each
    method makes numpy's own call. Each method returns ``out``.
    """

    __slots__ = ("rng", "_pcg")

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self._pcg: tuple[np.ndarray, Any] | None = None

    def __enter__(self) -> Draws:
        self._pcg = _pcg64_state(self.rng)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pcg is not None:
            _store_pcg64_state(self.rng, *self._pcg)
            self._pcg = None

    def uniforms(self, out: np.ndarray) -> np.ndarray:
        """``rng.random(len(out), out=out)``."""
        if self._pcg is None:
            return self.rng.random(out.shape[0], out=out)
        _uniforms(self._pcg[0], out)
        return out

    def standard_normals(self, out: np.ndarray) -> np.ndarray:
        """``rng.standard_normal(len(out), out=out)``."""
        if self._pcg is None:
            return self.rng.standard_normal(out.shape[0], out=out)
        _normals(self._pcg[0], out, 1.0, 0.0)
        return out

    def amount_log_noise(self, sigma: float, out: np.ndarray) -> np.ndarray:
        """Log of a mean-one log-normal factor, ``sigma * N(0, 1) - sigma**2 / 2``, drawn into ``out``.

        The numpy formulation (the same operations in the same order)::

            rng.standard_normal(len(out), out=out); out *= sigma; out -= sigma**2 / 2
        """
        shift = sigma**2 / 2
        if self._pcg is None:
            self.rng.standard_normal(out.shape[0], out=out)
            out *= sigma
            out -= shift
            return out
        _normals(self._pcg[0], out, sigma, shift)
        return out

    def betas(self, a: float, b: float, out: np.ndarray) -> np.ndarray:
        """``out[:] = rng.beta(a, b, len(out))``; compiled for shapes both above 1 (numpy's gamma method there)."""
        if self._pcg is None or not (a > 1.0 and b > 1.0):
            self._numpy_call(lambda: out.__setitem__(slice(None), self.rng.beta(a, b, out.shape[0])))
            return out
        _betas(self._pcg[0], float(a), float(b), out)
        return out

    def integers(self, low: int, high: int, out: np.ndarray) -> np.ndarray:
        """``out[:] = rng.integers(low, high, len(out), dtype=out.dtype)`` for ``int16`` or ``int64`` ``out``.

        Compiled when ``1 < high - low`` and the range fits numpy's 16-bit
        draws (``int16``) or its 32-bit ones (``int64``, ``high - low <
        2**32``); otherwise numpy's own call.
        """
        bits = {np.dtype(np.int16): 16, np.dtype(np.int64): 32}.get(out.dtype, 0)
        fits = bits and np.iinfo(out.dtype).min <= low and high <= np.iinfo(out.dtype).max + 1 and 1 < high - low < (1 << bits)
        if self._pcg is None or not fits:
            self._numpy_call(lambda: out.__setitem__(slice(None), self.rng.integers(low, high, out.shape[0], dtype=out.dtype)))
            return out
        (_bounded16 if bits == 16 else _bounded32)(self._pcg[0], int(low), int(high - low - 1), out)
        return out

    def poissons(self, lam: float, out: np.ndarray) -> np.ndarray:
        """``out[:] = rng.poisson(lam, len(out))`` for ``int64`` ``out``; compiled for ``0 < lam < 10``.

        numpy draws those by multiplying uniforms (its ``random_poisson_mult``);
        a larger ``lam`` (numpy's transformed rejection) and ``lam == 0`` (no
        draw at all) make numpy's own call.
        """
        if self._pcg is None or not (0.0 < lam < 10.0) or out.dtype != np.int64:
            self._numpy_call(lambda: out.__setitem__(slice(None), self.rng.poisson(lam, out.shape[0])))
            return out
        _poissons(self._pcg[0], math.exp(-float(lam)), out)
        return out

    def _numpy_call(self, call: Callable[[], object]) -> None:
        """Make a numpy call on ``rng`` inside the block: the held state stored first, read again after."""
        held = self._pcg is not None
        if held:
            self.__exit__()
        call()
        if held:
            self.__enter__()


def uniforms(rng: np.random.Generator, out: np.ndarray) -> np.ndarray:
    """``rng.random(len(out), out=out)``: the same numbers, the generator left in the same state."""
    with Draws(rng) as draws:
        return draws.uniforms(out)


def standard_normals(rng: np.random.Generator, out: np.ndarray) -> np.ndarray:
    """``rng.standard_normal(len(out), out=out)``: the same numbers, the generator left in the same state."""
    with Draws(rng) as draws:
        return draws.standard_normals(out)


def amount_log_noise(rng: np.random.Generator, sigma: float, out: np.ndarray) -> np.ndarray:
    """:meth:`Draws.amount_log_noise` of one call."""
    with Draws(rng) as draws:
        return draws.amount_log_noise(sigma, out)


def betas(rng: np.random.Generator, a: float, b: float, out: np.ndarray) -> np.ndarray:
    """``out[:] = rng.beta(a, b, len(out))``: the same numbers, the generator left in the same state."""
    with Draws(rng) as draws:
        return draws.betas(a, b, out)


def integers(rng: np.random.Generator, low: int, high: int, out: np.ndarray) -> np.ndarray:
    """:meth:`Draws.integers` of one call: the same numbers, the generator left in the same state."""
    with Draws(rng) as draws:
        return draws.integers(low, high, out)


def poissons(rng: np.random.Generator, lam: float, out: np.ndarray) -> np.ndarray:
    """:meth:`Draws.poissons` of one call: the same numbers, the generator left in the same state."""
    with Draws(rng) as draws:
        return draws.poissons(lam, out)
