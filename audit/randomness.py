"""Per-person random numbers that do not depend on how people are chunked.

Simulations inside audits (who appeals, who is sampled for replay) must give
the same answer for a person whatever chunk the person lands in and in
whatever order chunks run. So their uniforms are a counter-based hash of
``(seed, stream, person_id)`` (the SplitMix64 finaliser, Steele et al. 2014),
not draws from a generator whose state depends on the chunk.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["person_uniform", "rows_sampled", "stream_id"]

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def stream_id(name: str) -> int:
    """A stable integer for a named stream of randomness."""
    return zlib.crc32(name.encode())


def _mix(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def _offset(seed: int, stream: str | int, draw: int) -> np.uint64:
    s = stream_id(stream) if isinstance(stream, str) else int(stream)
    key = (np.uint64(seed & 0xFFFFFFFF) << np.uint64(32)) ^ np.uint64(s & 0xFFFFFFFF)
    with np.errstate(over="ignore"):
        return _mix(np.array([key + np.uint64(draw) * _GOLDEN]))[0]


def person_uniform(seed: int, stream: str | int, person_id: np.ndarray, draw: int = 0) -> np.ndarray:
    """Uniform [0, 1) numbers keyed by seed, stream name, person id and draw index."""
    ids = np.asarray(person_id)
    offset = _offset(seed, stream, draw) if np.ndim(draw) == 0 else None  # draws per person: numpy broadcasts below
    if offset is not None and ids.ndim == 1 and ids.dtype.kind in "iu":
        from audit.sample_kernels import hashed_uniform  # compiled: one pass, the same arithmetic

        wide = ids.astype(np.int64 if ids.dtype.kind == "i" else np.uint64, copy=False)  # numpy's casts, not numba's
        return hashed_uniform(wide, np.uint64(offset))
    with np.errstate(over="ignore"):
        x = np.asarray(person_id).astype(np.uint64) * _GOLDEN + _offset(seed, stream, draw)
        return (_mix(x) >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def rows_sampled(seed: int, stream: str | int, person_id: np.ndarray, rate: float) -> np.ndarray:
    """Positions of the people with ``person_uniform(seed, stream, person_id) < rate``, ascending.

    The same rows as that comparison, in one compiled pass without the
    temporaries (a sample is drawn per scorer and batch at country scale).
    """
    ids = np.asarray(person_id)
    if rate >= 1.0:
        return np.arange(ids.shape[0], dtype=np.int64)
    if ids.dtype.kind not in "iu":
        return np.flatnonzero(person_uniform(seed, stream, ids) < rate)
    from audit.sample_kernels import hashed_below

    return hashed_below(ids.astype(np.int64, copy=False), np.uint64(_offset(seed, stream, 0)), float(rate))
