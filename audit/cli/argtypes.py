"""Argument types for the command line: whole or finite numbers within bounds.

:func:`number` makes the ``type=`` of an option; a value it refuses raises
:class:`argparse.ArgumentTypeError`, which argparse reports as a usage error
(exit status 2) naming the option, the value given and the bounds it must
keep, e.g. ``argument --size: '0' must be a whole number >= 1``.
"""

from __future__ import annotations

import argparse
import decimal
import math
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["number"]

N = TypeVar("N", int, float)


def number(
    kind: type[N],
    *,
    lo: N | None = None,
    hi: N | None = None,
    lo_inclusive: bool = True,
    hi_inclusive: bool = True,
    what: str | None = None,
    example: str | None = None,
) -> Callable[[str], N]:
    """An argparse ``type=`` that reads a number of ``kind`` and keeps it within bounds.

    Parameters
    ----------
    kind : int or float
        ``int`` reads a whole number (``_`` separators allowed anywhere, as in
        ``200_000``; exponent form too when the value is whole, as in ``1e6``); ``float`` a number, which must also be finite (``nan``
        and ``inf`` are refused).
    lo, hi : number, optional
        Lowest and highest value allowed; ``None`` leaves that side open.
    lo_inclusive, hi_inclusive : bool
        Whether ``lo`` and ``hi`` themselves are allowed.
    what : str, optional
        What the value is, for messages (default ``"whole number"`` or
        ``"number"``), e.g. ``"number of seconds"``.
    example : str, optional
        A typical value, quoted in the message when a value is out of bounds.
    """
    if kind not in (int, float):
        raise TypeError(f"kind={kind!r}; give int or float")
    noun = what or ("whole number" if kind is int else "number")
    finite = kind is float
    # "a finite number > 0"; "finite" goes without saying between two bounds
    wanted = " ".join(filter(None, [
        f"a {'finite ' if finite and (lo is None or hi is None) else ''}{noun}",
        _describe(lo, hi, lo_inclusive, hi_inclusive),
    ])) + (f", e.g. {example}" if example is not None else "")

    def convert(text: str) -> N:
        value: Any
        try:
            value = kind(text.replace("_", "") if kind is int else text)
        except ValueError:
            value = _whole_in_exponent_form(text) if kind is int else None
            if value is None:
                raise argparse.ArgumentTypeError(f"{text!r} is not a {noun}") from None
        ok = not finite or math.isfinite(value)
        if lo is not None:
            ok = ok and (value >= lo if lo_inclusive else value > lo)
        if hi is not None:
            ok = ok and (value <= hi if hi_inclusive else value < hi)
        if not ok:
            raise argparse.ArgumentTypeError(f"{text!r} must be {wanted}")
        return value

    convert.__name__ = noun.replace(" ", "_")
    return convert


def _whole_in_exponent_form(text: str) -> int | None:
    """``1e6`` or ``2.5e3`` as the whole number it is (``None`` if it is not one, or has over 30 digits)."""
    try:
        d = decimal.Decimal(text.replace("_", "").strip())
    except decimal.InvalidOperation:
        return None
    if not d.is_finite() or d.adjusted() > 30 or d != d.to_integral_value():
        return None
    return int(d)


def _describe(lo: float | None, hi: float | None, lo_inclusive: bool, hi_inclusive: bool) -> str:
    """``>= 1``, ``> 0``, ``<= 1``, ``in [0, 1)`` ... (empty when both sides are open)."""
    if lo is not None and hi is not None:
        return f"in {'[' if lo_inclusive else '('}{lo}, {hi}{']' if hi_inclusive else ')'}"
    if lo is not None:
        return f"{'>=' if lo_inclusive else '>'} {lo}"
    if hi is not None:
        return f"{'<=' if hi_inclusive else '<'} {hi}"
    return ""
