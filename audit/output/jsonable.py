"""Values made JSON-safe: numpy scalars and arrays as Python values, non-finite floats as ``null``.

Every artefact goes through :func:`to_jsonable`, so ``json.dumps(..., allow_nan=False)``
never meets a NaN or a numpy type.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["finite_or_none", "plain_scalar", "to_jsonable"]


def finite_or_none(x: Any) -> float | None:
    """A JSON-safe float: ``None`` for a missing value, NaN or infinity."""
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


def plain_scalar(value: Any) -> Any:
    """A numpy scalar as the Python value it holds; anything else unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def to_jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays, tuples, sets and non-finite floats for JSON."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(to_jsonable(v) for v in value)
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
