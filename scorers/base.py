"""An optional mixin with the bookkeeping most scorers share.

A scorer does not need this class: anything with the attributes and methods
of :class:`scorers.protocol.Scorer` is a scorer (scikit-learn's duck typing).
:class:`ScorerBase` only saves writing the same parameter handling again:
class-level defaults, per-instance overrides checked against the defaults'
types, ``with_params`` returning a new value, a readable ``repr``.

Scorers built on it are immutable values: two instances with the same class
and parameters are equal, and no attribute can be set after construction.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from audit.errors import InvalidScorerSpec
from scorers.protocol import ScorerTags, scorer_label

__all__ = ["ScorerBase", "check_range", "coerce_param"]

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})
_NONE = frozenset({"none", "null", ""})


class ScorerBase:
    """Mixin: parameters, variants, equality and ``repr`` for a scorer.

    Subclasses set the class attributes below and implement
    ``score(view, *, as_of)``. Instantiate with no arguments for the defaults,
    or with keyword overrides: ``Suining(penalty_expiry_months=24)``.
    """

    __slots__ = ("_params",)

    _params: Mapping[str, Any]

    name: ClassVar[str] = ""
    """Registry name of the scorer."""
    version: ClassVar[str] = "1.0"
    """Version of the rules; bump when a rule changes."""
    description: ClassVar[str] = ""
    """One line on what the scorer models."""
    tiers: ClassVar[tuple[str, ...]] = ()
    """Tier labels, best first."""
    favourable_tiers: ClassVar[frozenset[str]] = frozenset()
    """Tiers that count as a favourable outcome."""
    sanctions: ClassVar[Mapping[str, str]] = MappingProxyType({})
    """Sanction name -> domain of life it restricts."""
    default_params: ClassVar[Mapping[str, Any]] = MappingProxyType({})
    """Every parameter the scorer accepts, with its default value."""
    tags: ClassVar[ScorerTags] = ScorerTags()
    """Capabilities the conformance suite and the audits need to know."""

    def __init__(self, **overrides: Any) -> None:
        params = dict(self.default_params)
        for key, value in overrides.items():
            if key not in self.default_params:
                known = ", ".join(sorted(self.default_params)) or "(none)"
                raise InvalidScorerSpec(f"scorer {self.name!r} has no parameter {key!r}; its parameters are: {known}")
            params[key] = coerce_param(self.name, key, value, self.default_params[key])
        self._check_params(params)
        object.__setattr__(self, "_params", MappingProxyType(params))

    def _check_params(self, params: Mapping[str, Any]) -> None:
        """Raise :class:`~audit.errors.InvalidScorerSpec` for values outside their domain.

        Types are already checked; override to check ranges.
        """

    @property
    def params(self) -> Mapping[str, Any]:
        """The defaults merged with this instance's overrides (read-only)."""
        return self._params

    def with_params(self, **params: Any) -> ScorerBase:
        """A new scorer of the same class with some parameters changed."""
        return type(self)(**{**self._params, **params})

    # --- an immutable value

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; use with_params({key}=...) for a variant")

    def __delattr__(self, key: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return dict(self._params) == dict(other._params)  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__qualname__, tuple(sorted((k, repr(v)) for k, v in self._params.items()))))

    def __reduce__(self) -> tuple[Any, ...]:
        return (functools.partial(type(self), **self._params), ())

    def __copy__(self) -> ScorerBase:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> ScorerBase:
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}({scorer_label(self)!r})"


def coerce_param(scorer: str, key: str, value: Any, default: Any) -> Any:
    """Check and convert ``value`` to the type of the parameter's ``default``.

    A ``bool`` default takes booleans (or ``"true"``/``"false"``); an ``int``
    default whole numbers; a ``float`` default any real number; a ``None``
    default ``None``, an int or a float; a ``str`` default strings. Strings
    from a command line are parsed for the numeric and boolean cases.
    Raises :class:`~audit.errors.InvalidScorerSpec` naming the parameter, the
    value and the expected type.
    """

    def fail(expected: str) -> InvalidScorerSpec:
        return InvalidScorerSpec(
            f"scorer {scorer!r}: parameter {key}={value!r} is not valid; expected {expected} (default {default!r})"
        )

    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise fail("true or false")
    if isinstance(default, int) or (default is None):
        if value is None:
            if default is None:
                return None
            raise fail("a whole number")
        if isinstance(value, str):
            text = value.strip()
            if default is None and text.lower() in _NONE:
                return None
            try:
                value = int(text)
            except ValueError:
                try:
                    value = float(text)
                except ValueError:
                    raise fail("a number" if default is None else "a whole number") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail("a number or None" if default is None else "a whole number")
        if isinstance(value, float) and not math.isfinite(value):
            raise fail("a finite number")
        if default is None:
            return value
        if isinstance(value, float):
            if not value.is_integer():
                raise fail("a whole number")
            value = int(value)
        return value
    if isinstance(default, float):
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                raise fail("a number") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise fail("a finite number")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise fail("a string")
        return value
    if not isinstance(value, type(default)):
        raise fail(f"a {type(default).__name__}")
    return value


def check_range(
    scorer: str, params: Mapping[str, Any], key: str, *, lo: float | None = None, hi: float | None = None
) -> None:
    """Raise :class:`~audit.errors.InvalidScorerSpec` if ``params[key]`` lies outside ``[lo, hi]``.

    ``None`` values pass (they mean "off" for optional parameters).
    """
    value = params[key]
    if value is None:
        return
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        bounds = f">= {lo}" if hi is None else (f"<= {hi}" if lo is None else f"between {lo} and {hi}")
        raise InvalidScorerSpec(f"scorer {scorer!r}: parameter {key}={value!r} is out of range; use a value {bounds}")
